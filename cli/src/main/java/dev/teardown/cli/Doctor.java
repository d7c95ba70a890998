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
 * and reports what is stuck and what to do; {@code --watch} repeats it with rates. Exit status: 0, or 1 when
 * a {@code --fail-if} threshold is crossed, 2 for a wrong option, 3 when the table cannot be read.
 */
@Command(name = "doctor", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"The on-call view of this machine's (network namespace's) TCP sockets: counts by state with owners"
                + " and peers, CLOSE_WAIT by process and peer, orphaned FIN_WAIT2, unacknowledged FINs, TIME_WAIT per"
                + " destination against the ephemeral port range, accept queues, kernel settings, and one line per finding.",
            "Run as root to see the owners of every process's sockets."},
        exitCodeListHeading = "Exit status:%n",
        exitCodeList = {"0:no threshold crossed", "1:a --fail-if threshold was crossed", "2:wrong option or value",
            "3:the socket table could not be read"})
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
        Duration interval = null;
        if (watch != null) {
            interval = interval(watch);
        }
        if (count < 0 || count > 0 && interval == null) {
            throw new ParameterException(spec.commandLine(), "--count needs --watch and a positive number");
        }
        boolean clear = interval != null && !json && !prometheus && System.console() != null;
        Census previous = null;
        for (int n = 1; ; n++) {
            Census c = Census.take(interval != null, previous);
            List<Finding> findings = Findings.of(c);
            if (clear) {
                out.print("\033[H\033[2J");
            }
            if (json) {
                out.println(JsonReport.render(c, findings, thresholds));
            } else if (prometheus) {
                out.print(PrometheusReport.render(c));
            } else {
                out.print(Text.render(c, previous, findings, thresholds));
            }
            out.flush();
            boolean crossed = false;
            for (Threshold t : thresholds) {
                crossed |= t.crossed(c);
            }
            if (crossed || interval == null || n == count) {
                return crossed ? CROSSED : 0;
            }
            previous = c;
            Thread.sleep(interval.toMillis());
            if (!json && !prometheus && !clear) {
                out.println("----");
            }
        }
    }

    private static final Pattern INTERVAL = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(ms|s|m)?");

    private Duration interval(String text) {
        Matcher m = INTERVAL.matcher(text.trim());
        if (m.matches()) {
            double v = Double.parseDouble(m.group(1));
            String unit = m.group(2) == null ? "s" : m.group(2);
            long ms = Math.round(v * (unit.equals("ms") ? 1 : unit.equals("s") ? 1000 : 60_000));
            if (ms >= 100 && ms <= 86_400_000L) {
                return Duration.ofMillis(ms);
            }
        }
        throw new ParameterException(spec.commandLine(), "Invalid value for option '--watch': '" + text
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
