package dev.teardown.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code teardown doctor}: reads the TCP table of this network namespace once, with every socket's owner,
 * and reports what is stuck and what to do; {@code --watch} repeats it with rates; {@code --netns} reads other
 * namespaces (containers, pods) from inside each; {@code --serve} keeps answering Prometheus scrapes. With
 * {@code --pid}, one JVM's sockets grouped by the code that opened them instead (teardown-agent). Exit status: 0, or 1
 * when a {@code --fail-if} threshold is crossed, 2 for a wrong option, a JVM that cannot be attached to or a
 * {@code --serve} address that cannot be listened on, 3 when the table cannot be read.
 */
@Command(name = "doctor", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"The on-call view of this machine's (network namespace's) TCP sockets: counts by state with owners"
                + " and peers, CLOSE_WAIT by process and peer, orphaned FIN_WAIT2, unacknowledged FINs, TIME_WAIT per"
                + " destination against the ephemeral port range, accept queues, kernel settings, and one line per finding.",
            "Run as root to see the owners of every process's sockets."},
        exitCodeListHeading = "Exit status:%n",
        exitCodeList = {"0:no threshold crossed", "1:a --fail-if threshold was crossed",
            "2:wrong option or value; with --pid: the JVM cannot be attached to; with --serve: the address is in use", "3:the socket table could not be read"})
final class Doctor implements Callable<Integer> {
    static final int CROSSED = 1;
    static final int FAILED = 3;

    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "Print one JSON document (one per sample with --watch).")
    boolean json;

    @Option(names = "--prometheus", description = "Print Prometheus text exposition format (OpenTelemetry names).")
    boolean prometheus;

    @Option(names = "--watch", paramLabel = "INTERVAL", description = "Redraw every INTERVAL (e.g. 2s, 500ms, 1m) with rates"
            + " and growth, until interrupted (or --count samples).")
    String watch;

    @Option(names = "--count", paramLabel = "N", description = "With --watch: stop after N samples (default: never).")
    int count;

    @Option(names = "--fail-if", paramLabel = "METRIC>N", description = "Exit 1 when the condition holds (repeatable;"
            + " also >=, <, <=, =). METRIC: " + Threshold.METRICS + ". Example: --fail-if close-wait>100")
    List<String> failIf = new ArrayList<>();

    @Option(names = "--netns", paramLabel = "all|PID|PATH", description = "Read other network namespaces (root):"
            + " 'all' (every one on the machine, found through /proc/*/ns/net and ip netns names: every container and"
            + " pod), or the one of process PID, or a namespace file such as /run/netns/NAME. The report groups by"
            + " namespace, named by container or pod where the owners' cgroup says, else by inode and a pid.")
    String netns;

    @Option(names = "--serve", paramLabel = "ADDR:PORT", description = "Keep running as a Prometheus exporter: GET"
            + " /metrics answers with the report (OpenMetrics when the Accept header asks), read at each scrape but at"
            + " most once per --min-interval. E.g. --serve 127.0.0.1:9464 --netns all.")
    String serve;

    @Option(names = "--min-interval", paramLabel = "INTERVAL", description = "With --serve: the floor between two"
            + " readings (default 10s); scrapes in between get the last one.")
    String minInterval;

    @Option(names = "--label-pid", description = "With --prometheus or --serve: label process series with process_pid"
            + " too (it changes at every restart; off by default).")
    boolean labelPid;

    @Option(names = "--pid", paramLabel = "PID", description = "One JVM instead: its sockets in CLOSE_WAIT (or --state),"
            + " grouped by the code that opened them, worst first. Needs teardown's agent in that JVM: --attach, or"
            + " -javaagent:teardown-agent.jar at its start (sockets opened before the agent are listed without a site).")
    Long pid;

    @Option(names = "--attach", description = "With --pid: load teardown's agent into the JVM first (Attach API); it"
            + " records the sockets opened from then on.")
    boolean attach;

    @Option(names = "--state", paramLabel = "STATES", description = "With --pid: close-wait (default), all, or a list"
            + " such as established,close-wait.")
    String state;

    private final PrintWriter out;

    Doctor(PrintWriter out) {
        this.out = out;
    }

    @Override
    public Integer call() throws Exception {
        List<Threshold> thresholds = new ArrayList<>();
        for (String f : failIf) {
            try {
                thresholds.add(Threshold.parse(f));
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "Invalid value for option '--fail-if': " + e.getMessage());
            }
        }
        if (json && prometheus) {
            throw new ParameterException(spec.commandLine(), "--json and --prometheus are exclusive");
        }
        if (pid != null) {
            if (prometheus || watch != null || !thresholds.isEmpty() || netns != null || serve != null) {
                throw new ParameterException(spec.commandLine(), "--pid goes with --attach, --state and --json only");
            }
            try {
                return JvmSites.report(pid, attach, json, state == null ? "close-wait" : state, out,
                        spec.commandLine().getErr());
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "Invalid value for option '--state': " + e.getMessage());
            }
        }
        if (attach || state != null) {
            throw new ParameterException(spec.commandLine(), (attach ? "--attach" : "--state") + " needs --pid");
        }
        Duration interval = null;
        if (watch != null) {
            interval = interval(watch);
        }
        if (count < 0 || count > 0 && interval == null) {
            throw new ParameterException(spec.commandLine(), "--count needs --watch and a positive number");
        }
        if (netns != null && !netns.equals("all")) {
            try {
                Netns.of(netns);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "Invalid value for option '--netns': " + e.getMessage());
            }
        }
        if (serve != null) {
            return serve(thresholds);
        }
        if (minInterval != null) {
            throw new ParameterException(spec.commandLine(), "--min-interval needs --serve");
        }
        if (netns != null) {
            return namespaces(interval, thresholds);
        }
        boolean root = Census.isRoot();
        boolean watching = interval != null;
        return repeat(interval, previous -> {
            Census c = Census.take(watching, (Census) previous);
            List<Finding> findings = Findings.of(c);
            // as root, one line on the namespaces this report does not show (containers next to this one)
            Host.Others others = root && !prometheus ? Host.others(Netns.current()) : null;
            String output = json ? JsonReport.render(c, findings, thresholds, others, null)
                    : prometheus ? PrometheusReport.render(c, new PrometheusReport.Options(labelPid, false))
                    : Text.render(c, (Census) previous, findings, thresholds, others, null);
            boolean crossed = false;
            for (Threshold t : thresholds) {
                crossed |= t.crossed(c);
            }
            return new Sample(output, crossed, c);
        });
    }

    /** --netns: several namespaces, each read from inside, grouped in the report. */
    private int namespaces(Duration interval, List<Threshold> thresholds) throws InterruptedException {
        boolean watching = interval != null;
        return repeat(interval, previous -> {
            Host.Reading r = Host.read(Host.targets(netns), watching, (Host.Reading) previous);
            if (r.sections().isEmpty() && !r.skipped().isEmpty()) {
                throw new IllegalStateException("no namespace could be read: " + String.join("; ", r.skipped())
                        + (Census.isRoot() ? "" : " (entering a namespace needs root)"));
            }
            String output = json ? JsonReport.render(r, thresholds)
                    : prometheus ? PrometheusReport.render(r, new PrometheusReport.Options(labelPid, false))
                    : Text.render(r, (Host.Reading) previous, thresholds);
            boolean crossed = false;
            for (Threshold t : thresholds) {
                for (Host.Section sec : r.sections()) {
                    crossed |= t.crossed(sec.census());
                }
            }
            return new Sample(output, crossed, r);
        });
    }

    /** One sample: what to print, whether a --fail-if threshold is crossed, what the next sample compares with. */
    private record Sample(String output, boolean crossed, Object reading) {}

    /** Takes a sample, or one per --watch interval until --count or a crossed threshold, printing each. */
    private int repeat(Duration interval, java.util.function.Function<Object, Sample> take) throws InterruptedException {
        boolean clear = interval != null && !json && !prometheus && System.console() != null;
        Object previous = null;
        for (int n = 1; ; n++) {
            Sample s = take.apply(previous);
            if (clear) {
                out.print("\033[H\033[2J");
            }
            out.print(s.output());
            if (json) {
                out.println();
            }
            out.flush();
            if (s.crossed() || interval == null || n == count) {
                return s.crossed() ? CROSSED : 0;
            }
            previous = s.reading();
            Thread.sleep(interval.toMillis());
            if (!json && !prometheus && !clear) {
                out.println("----");
            }
        }
    }

    /** --serve: the exporter, until the process is stopped. */
    private int serve(List<Threshold> thresholds) throws InterruptedException {
        if (json || watch != null || !thresholds.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "--serve goes with --netns, --min-interval and --label-pid only");
        }
        java.net.InetSocketAddress address;
        try {
            address = Exporter.parse(serve);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '--serve': " + e.getMessage());
        }
        Duration floor = minInterval == null ? Duration.ofSeconds(10) : interval(minInterval, "--min-interval");
        java.util.function.Supplier<Object> read = netns == null ? () -> Census.take(false, null)
                : () -> Host.read(Host.targets(netns), false, null);
        Exporter exporter;
        try {
            exporter = new Exporter(address, read, floor, labelPid);
        } catch (java.io.IOException e) {
            spec.commandLine().getErr().println("teardown doctor: --serve " + serve + ": " + e.getMessage());
            return 2;
        }
        out.println("teardown doctor: serving http://" + Exporter.show(exporter.address()) + "/metrics ("
                + (netns == null ? "this network namespace" : "--netns " + netns) + ", read at a scrape, at most every "
                + floor.toMillis() + " ms)");
        out.flush();
        Runtime.getRuntime().addShutdownHook(new Thread(exporter::close));
        new java.util.concurrent.CountDownLatch(1).await();
        return 0;
    }

    private static final Pattern INTERVAL = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(ms|s|m)?");

    private Duration interval(String text) {
        return interval(text, "--watch");
    }

    private Duration interval(String text, String option) {
        Matcher m = INTERVAL.matcher(text.trim());
        if (m.matches()) {
            double v = Double.parseDouble(m.group(1));
            String unit = m.group(2) == null ? "s" : m.group(2);
            long ms = Math.round(v * (unit.equals("ms") ? 1 : unit.equals("s") ? 1000 : 60_000));
            if (ms >= 100 && ms <= 86_400_000L) {
                return Duration.ofMillis(ms);
            }
        }
        throw new ParameterException(spec.commandLine(), "Invalid value for option '" + option + "': '" + text
                + "' is not an interval between 100ms and 24h (e.g. 2s, 500ms, 1m)");
    }

    /** Exit status 3 and one line, not a stack trace, when the table cannot be read. */
    static CommandLine.IExecutionExceptionHandler failure() {
        return (e, cl, parsed) -> {
            cl.getErr().println("teardown doctor: " + e);
            return FAILED;
        };
    }
}
