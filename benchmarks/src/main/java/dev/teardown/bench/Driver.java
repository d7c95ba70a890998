package dev.teardown.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.util.Statistics;

/**
 * Runs a {@link Profile}: the shared C listeners, the close-latency and churn benchmarks of every client (JMH
 * for the Java ones, churn and close-path for C, interleaved so that neighbours in time are compared), the
 * TIME_WAIT-under-load strategies, then CSV, plots and the comparison table.
 */
final class Driver {
    private final Profile p;
    private final Path dir;
    private final PrintStream out;
    private final boolean privateNetns;
    private final Map<ListenerMode, Listener> listeners = new EnumMap<>(ListenerMode.class);
    private final List<String> failures = new ArrayList<>();
    private final List<String> ran = new ArrayList<>();
    private final Path allocFile;
    private boolean lockIgnored;

    /** Close-path latency per (client, mode); client "c" is close-path, "c-churn" churn's close_ns. */
    private final Map<String, Lat> latency = new LinkedHashMap<>();
    private final List<ChurnIt> churn = new ArrayList<>();
    /** Every latency result of every round (the aggregated {@link #latency} is the median over rounds). */
    private final List<LatRun> latRuns = new ArrayList<>();
    private final Map<String, Map<String, String>> loadSummary = new LinkedHashMap<>();
    private final Map<String, List<Map<String, String>>> loadRuns = new LinkedHashMap<>();

    record LatRun(int round, Lat lat) {}

    record Lat(String client, String mode, long n, double mean, double p50, double p90, double p99, double p999,
            double max, double closeAllocBytes, double closeAllocMedian, double gcAllocNorm, String source) {}

    record ChurnIt(int round, String client, String variant, boolean exchange, int iteration, double rate,
            double timeWaitPerOp, double twRecycledPerOp, double rstPerOp, double eaddrnotavail, double errors,
            double closeNsMean, double closeNsMedian, double closeCallNsMean, double gcAllocNorm) {}

    Driver(Profile p, Path dir, PrintStream out, boolean privateNetns) {
        this.p = p;
        this.dir = dir;
        this.out = out;
        this.privateNetns = privateNetns;
        this.allocFile = dir.resolve("close-alloc.raw");
    }

    int run() throws Exception {
        StringBuilder env = new StringBuilder();
        env.append("profile:  ").append(p.name).append("  (").append(Instant.now()).append(")\n");
        env.append("jdk:      ").append(System.getProperty("java.vm.name")).append(' ')
                .append(System.getProperty("java.runtime.version")).append(" (").append(System.getProperty("java.vendor"))
                .append(")\n");
        env.append("kernel:   ").append(Kernel.kernelRelease()).append(' ').append(System.getProperty("os.arch"))
                .append(", ").append(Runtime.getRuntime().availableProcessors()).append(" CPUs, load average ")
                .append(String.format(Locale.ROOT, "%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()))
                .append('\n');
        env.append("netns:    ").append(Kernel.netns()).append(privateNetns ? " (private, made for this run)" : " (the host's)")
                .append('\n');
        env.append("settings: ").append(Kernel.settings()).append('\n');
        out.print(env);
        Files.deleteIfExists(allocFile);
        try {
            for (ListenerMode m : ListenerMode.values()) {
                Listener l = Listener.start(m);
                listeners.put(m, l);
                System.setProperty(m.portProperty(), Integer.toString(l.port)); // for in-process (smoke) runs
            }
            System.setProperty("teardown.bench.allocOut", allocFile.toString());
            out.println("listeners: " + listeners.values().stream().map(l -> l.mode.arg + " :" + l.port)
                    .reduce((a, b) -> a + ", " + b).orElse(""));
            latency();
            churn();
        } finally {
            for (Listener l : listeners.values()) {
                String stats = l.stop();
                out.println("listener " + l.mode.arg + ": " + stats);
            }
        }
        readAlloc();
        timeWaitUnderLoad();
        writeCsv();
        if (lockIgnored) {
            env.append("note:     another JMH run on this machine held /tmp/jmh.lock for 10 min; some runs went alongside it\n");
        }
        String report = env + "\n" + Tables.render(p, latency, latRuns, churn, loadSummary);
        out.println();
        out.print(Tables.render(p, latency, latRuns, churn, loadSummary));
        Main.write(dir.resolve("summary.txt"), report);
        if (p.plots) {
            try {
                List<Path> pngs = Charts.write(dir, latency, churn, dir.resolve("timewait.csv"));
                out.println("plots: " + pngs);
                ran.add("plots " + pngs.size());
            } catch (Throwable t) { // a missing font or AWT library must not hide the numbers
                failures.add("plots: " + t);
                out.println("plots failed: " + t);
            }
        }
        out.println("results: " + dir.toAbsolutePath());
        if (p.name.equals("smoke")) {
            for (String r : ran) {
                out.println("SMOKE ok " + r);
            }
        }
        for (String f : failures) {
            out.println("FAILED " + f);
        }
        out.println(failures.isEmpty() ? "bench: done, " + ran.size() + " runs" : "bench: " + failures.size() + " failures");
        return failures.isEmpty() ? 0 : 1;
    }

    // ---------------------------------------------------------------- close-path latency

    private void latency() throws IOException, InterruptedException {
        Set<Variant> modes = new LinkedHashSet<>();
        for (Variant v : Variant.values()) {
            for (List<Variant> l : p.latency.values()) {
                if (l.contains(v)) {
                    modes.add(v);
                }
            }
        }
        for (int round = 1; round <= p.latRounds; round++) {
            latencyRound(round, modes);
        }
        aggregateLatency();
    }

    private void latencyRound(int round, Set<Variant> modes) throws IOException, InterruptedException {
        for (Variant v : modes) {
            for (Map.Entry<String, List<Variant>> e : p.latency.entrySet()) {
                if (!e.getValue().contains(v)) {
                    continue;
                }
                String client = e.getKey();
                String cls = latencyClass(client);
                out.printf(Locale.ROOT, "latency  %-12s %-13s round %d  ", client, v.label, round);
                Collection<RunResult> rs = jmh(cls, Map.of("mode", v.label), p.latWarmups, p.latWarmupMs, p.latIterations,
                        p.latIterationMs, "latency-" + client + "-" + v.label + "-r" + round);
                for (RunResult r : rs) {
                    Statistics s = r.getPrimaryResult().getStatistics();
                    if (s.getN() == 0) {
                        failures.add("latency " + client + " " + v.label + ": no samples");
                        continue;
                    }
                    Lat lat = new Lat(client, v.label, s.getN(), s.getMean(), s.getPercentile(50), s.getPercentile(90),
                            s.getPercentile(99), s.getPercentile(99.9), s.getMax(), Double.NaN, Double.NaN,
                            secondary(r.getSecondaryResults(), "gc.alloc.rate.norm"), "JMH SampleTime");
                    latRuns.add(new LatRun(round, lat));
                    ran.add("latency " + cls + " mode=" + v.label + " round=" + round + " samples=" + s.getN());
                    out.printf(Locale.ROOT, "n=%-8d mean=%8.0f p50=%8.0f p99=%8.0f ns%n", s.getN(), s.getMean(),
                            s.getPercentile(50), s.getPercentile(99));
                }
            }
            // C: the same close path, set-up untimed (close-path), against the same listener
            out.printf(Locale.ROOT, "latency  %-12s %-13s round %d  ", "c", v.label, round);
            try {
                Map<String, String> m = CRunner.closePath(port(v.listener(false)), v, p.cLatencySeconds, p.cCount);
                long n = (long) CRunner.num(m, "samples");
                if (n == 0) {
                    failures.add("close-path " + v.label + ": no samples " + m);
                }
                latRuns.add(new LatRun(round, new Lat("c", v.label, n, CRunner.num(m, "close_ns_mean"),
                        CRunner.num(m, "close_ns_p50"), CRunner.num(m, "close_ns_p90"), CRunner.num(m, "close_ns_p99"),
                        CRunner.num(m, "close_ns_p999"), CRunner.num(m, "close_ns_max"), Double.NaN, Double.NaN, Double.NaN,
                        "close-path (C)")));
                ran.add("close-path mode=" + v.label + " round=" + round + " samples=" + n);
                out.printf(Locale.ROOT, "n=%-8d mean=%8.0f p50=%8.0f p99=%8.0f ns  errors=%s%n", n,
                        CRunner.num(m, "close_ns_mean"), CRunner.num(m, "close_ns_p50"), CRunner.num(m, "close_ns_p99"),
                        m.get("errors"));
            } catch (IOException e) {
                failures.add("close-path " + v.label + ": " + e.getMessage());
                out.println("failed: " + e.getMessage());
            }
        }
    }

    /** Median over rounds of every statistic, per client and mode (samples summed). */
    private void aggregateLatency() {
        Map<String, List<Lat>> by = new LinkedHashMap<>();
        for (LatRun r : latRuns) {
            by.computeIfAbsent(r.lat().client() + "/" + r.lat().mode(), k -> new ArrayList<>()).add(r.lat());
        }
        for (Map.Entry<String, List<Lat>> e : by.entrySet()) {
            List<Lat> l = e.getValue();
            Lat f = l.get(0);
            long n = 0;
            for (Lat x : l) {
                n += x.n();
            }
            latency.put(e.getKey(), new Lat(f.client(), f.mode(), n, med(l, Lat::mean), med(l, Lat::p50), med(l, Lat::p90),
                    med(l, Lat::p99), med(l, Lat::p999), med(l, Lat::max), Double.NaN, Double.NaN, med(l, Lat::gcAllocNorm),
                    f.source() + (l.size() > 1 ? ", median of " + l.size() + " rounds" : "")));
        }
    }

    private static double med(List<Lat> l, java.util.function.ToDoubleFunction<Lat> f) {
        List<Double> v = new ArrayList<>();
        for (Lat x : l) {
            v.add(f.applyAsDouble(x));
        }
        return Tables.median(v);
    }

    private static String latencyClass(String client) {
        switch (client) {
            case Client.TEARDOWN:
                return "TeardownClose";
            case Client.CHANNEL:
                return "ChannelClose";
            default:
                return "SocketClose";
        }
    }

    private static String churnClass(String client) {
        switch (client) {
            case Client.TEARDOWN:
                return "TeardownChurn";
            case Client.CHANNEL:
                return "ChannelChurn";
            default:
                return "SocketChurn";
        }
    }

    // ---------------------------------------------------------------- churn

    private void churn() throws IOException, InterruptedException {
        Set<Variant> variants = new LinkedHashSet<>();
        for (Variant v : Variant.values()) {
            for (List<Variant> l : p.churn.values()) {
                if (l.contains(v)) {
                    variants.add(v);
                }
            }
        }
        List<String> clients = new ArrayList<>(p.churn.keySet());
        for (int round = 1; round <= p.rounds; round++) {
            // alternate the order between rounds, so no client always runs first after a switch of listener
            List<String> order = new ArrayList<>(clients);
            if (round % 2 == 0) {
                java.util.Collections.reverse(order);
            }
            for (Variant v : variants) {
                for (boolean x : p.exchanges) {
                    for (String client : order) {
                        if (!p.churn.get(client).contains(v)) {
                            continue;
                        }
                        if (client.equals(Client.C)) {
                            cChurn(round, v, x);
                        } else {
                            javaChurn(round, client, v, x);
                        }
                    }
                }
            }
        }
    }

    private void javaChurn(int round, String client, Variant v, boolean x) {
        String cls = churnClass(client);
        out.printf(Locale.ROOT, "churn    %-12s %-13s exchange=%-5s round %d  ", client, v.label, x, round);
        Map<String, String> params = new LinkedHashMap<>();
        params.put("variant", v.label);
        params.put("exchange", Boolean.toString(x));
        Collection<RunResult> rs = jmh(cls, params, p.churnWarmups, p.churnWarmupMs, p.churnIterations,
                p.churnIterationMs, "churn-" + client + "-" + v.label + (x ? "-x" : "") + "-r" + round);
        for (RunResult r : rs) {
            int it = 0;
            List<Double> rates = new ArrayList<>();
            for (BenchmarkResult br : r.getBenchmarkResults()) {
                for (IterationResult ir : br.getIterationResults()) {
                    Map<String, Result> sec = ir.getSecondaryResults();
                    double rate = ir.getPrimaryResult().getScore();
                    rates.add(rate);
                    churn.add(new ChurnIt(round, client, v.label, x, ++it, rate, secondary(sec, "timeWaitPerOp"),
                            secondary(sec, "twRecycledPerOp"), secondary(sec, "rstPerOp"), secondary(sec, "eaddrnotavail"),
                            secondary(sec, "errors"), Double.NaN, Double.NaN, Double.NaN,
                            secondary(sec, "gc.alloc.rate.norm")));
                }
            }
            if (rates.isEmpty()) {
                failures.add("churn " + cls + " " + v.label + " exchange=" + x + ": no iterations");
            } else {
                ran.add("churn " + cls + " variant=" + v.label + " exchange=" + x + " iterations=" + rates.size());
            }
            out.printf(Locale.ROOT, "median %8.0f conns/s over %d iterations%n", Tables.median(rates), rates.size());
        }
    }

    private void cChurn(int round, Variant v, boolean x) throws IOException, InterruptedException {
        out.printf(Locale.ROOT, "churn    %-12s %-13s exchange=%-5s round %d  ", "c", v.label, x, round);
        int port = port(v.listener(x));
        try {
            if (p.churnWarmups > 0) {
                CRunner.churn(port, v, x, p.churnWarmups * p.churnWarmupMs / 1000.0, 0);
            }
            List<Double> rates = new ArrayList<>();
            int iterations = Math.max(1, p.churnIterations);
            for (int it = 1; it <= iterations; it++) {
                int tw0 = Kernel.timeWait();
                long rst0 = Kernel.outRsts();
                long rec0 = Kernel.twRecycled();
                Map<String, String> m = p.cCount > 0 ? CRunner.churn(port, v, x, 0, p.cCount * 2)
                        : CRunner.churn(port, v, x, p.churnIterationMs / 1000.0, 0);
                double conns = Math.max(1, CRunner.num(m, "conns"));
                double rate = CRunner.num(m, "conns_per_sec");
                rates.add(rate);
                churn.add(new ChurnIt(round, Client.C, v.label, x, it, rate, (Kernel.timeWait() - tw0) / conns,
                        (Kernel.twRecycled() - rec0) / conns, (Kernel.outRsts() - rst0) / conns,
                        CRunner.num(m, "eaddrnotavail"), CRunner.num(m, "errors"), CRunner.num(m, "close_ns_mean"),
                        CRunner.num(m, "close_ns_median"), CRunner.num(m, "close_call_ns_mean"), Double.NaN));
                if (CRunner.num(m, "conns") == 0) {
                    failures.add("churn c " + v.label + " exchange=" + x + ": no connection completed " + m);
                }
            }
            ran.add("churn c variant=" + v.label + " exchange=" + x + " iterations=" + rates.size());
            out.printf(Locale.ROOT, "median %8.0f conns/s over %d runs%n", Tables.median(rates), rates.size());
        } catch (IOException e) {
            failures.add("churn c " + v.label + ": " + e.getMessage());
            out.println("failed: " + e.getMessage());
        }
    }

    // ---------------------------------------------------------------- JMH

    private Collection<RunResult> jmh(String cls, Map<String, String> params, int warmups, int warmupMs, int iterations,
            int iterationMs, String log) {
        ChainedOptionsBuilder b = new OptionsBuilder()
                .include("\\." + cls + "\\.")
                .forks(p.forks)
                .warmupIterations(warmups)
                .measurementIterations(iterations)
                .measurementTime(TimeValue.milliseconds(iterationMs))
                .timeout(TimeValue.seconds(120))
                .shouldFailOnError(true)
                .output(logDir().resolve(log + ".log").toString());
        if (warmups > 0) {
            b.warmupTime(TimeValue.milliseconds(warmupMs));
        }
        for (Map.Entry<String, String> e : params.entrySet()) {
            b.param(e.getKey(), e.getValue());
        }
        if (p.gcProfiler) {
            b.addProfiler(GCProfiler.class);
        }
        List<String> jvm = new ArrayList<>(List.of("-Xms1g", "-Xmx1g", "-Dteardown.bench.allocOut=" + allocFile));
        for (Listener l : listeners.values()) {
            jvm.add("-D" + l.mode.portProperty() + "=" + l.port);
        }
        for (String prop : new String[] {"teardown.native.bin", "teardown.bench.bin"}) {
            if (System.getProperty(prop) != null) {
                jvm.add("-D" + prop + "=" + System.getProperty(prop));
            }
        }
        b.jvmArgsAppend(jvm.toArray(new String[0]));
        if (p.name.equals("smoke")) {
            System.setProperty("jmh.ignoreLock", "true"); // CI: never fail because another JMH runs on the machine
        }
        try {
            Collection<RunResult> rs = runWaitingForLock(b, log);
            if (rs.isEmpty()) {
                failures.add(cls + " " + params + ": JMH returned no result (see " + log + ".log)");
                out.println("no result");
            }
            return rs;
        } catch (RunnerException | RuntimeException e) {
            failures.add(cls + " " + params + ": " + e.getMessage() + " (see " + logDir().resolve(log + ".log") + ")");
            out.println("failed: " + e.getMessage());
            return List.of();
        }
    }

    /**
     * JMH refuses to start while another JMH run on this machine holds {@code /tmp/jmh.lock}; two benchmarks at
     * once disturb each other, so wait for it (up to 10 minutes), then run anyway and say so.
     */
    private Collection<RunResult> runWaitingForLock(ChainedOptionsBuilder b, String log) throws RunnerException {
        long deadline = System.nanoTime() + 600_000_000_000L;
        boolean said = false;
        for (;;) {
            try {
                return new Runner(b.build()).run();
            } catch (RunnerException e) {
                if (!String.valueOf(e.getMessage()).contains("JMH lock") || Boolean.getBoolean("jmh.ignoreLock")) {
                    throw e;
                }
                if (System.nanoTime() > deadline) {
                    out.print("[another JMH run held the lock for 10 min: running alongside it, expect noise] ");
                    lockIgnored = true;
                    System.setProperty("jmh.ignoreLock", "true");
                    continue;
                }
                if (!said) {
                    out.print("[waiting: another JMH run on this machine holds /tmp/jmh.lock] ");
                    said = true;
                }
                try {
                    Thread.sleep(3000);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private Path logDir() {
        Path d = dir.resolve("logs");
        try {
            Files.createDirectories(d);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return d;
    }

    private static double secondary(Map<String, Result> sec, String suffix) {
        for (Map.Entry<String, Result> e : sec.entrySet()) {
            if (e.getKey().endsWith(suffix)) {
                return e.getValue().getScore();
            }
        }
        return Double.NaN;
    }

    private int port(ListenerMode m) {
        return listeners.get(m).port;
    }

    /** AllocProbe lines (benchmark,mode,bytes,closes) into the latency records. */
    private void readAlloc() throws IOException {
        if (!Files.exists(allocFile)) {
            return;
        }
        Map<String, List<Double>> mean = new TreeMap<>();
        Map<String, List<Double>> median = new TreeMap<>();
        for (String line : Files.readAllLines(allocFile)) {
            String[] f = line.split(",");
            if (f.length < 5) {
                continue;
            }
            String client = f[0].startsWith("Teardown") ? Client.TEARDOWN : f[0].startsWith("Channel") ? Client.CHANNEL
                    : Client.SOCKET;
            mean.computeIfAbsent(client + "/" + f[1], k -> new ArrayList<>()).add(Double.parseDouble(f[2]));
            median.computeIfAbsent(client + "/" + f[1], k -> new ArrayList<>()).add(Double.parseDouble(f[4]));
        }
        for (Map.Entry<String, List<Double>> e : mean.entrySet()) {
            Lat l = latency.get(e.getKey());
            if (l != null) {
                latency.put(e.getKey(), new Lat(l.client(), l.mode(), l.n(), l.mean(), l.p50(), l.p90(), l.p99(), l.p999(),
                        l.max(), Tables.median(e.getValue()), Tables.median(median.get(e.getKey())), l.gcAllocNorm(),
                        l.source()));
            }
        }
        Files.deleteIfExists(allocFile);
    }

    // ---------------------------------------------------------------- TIME_WAIT under load

    private void timeWaitUnderLoad() throws IOException, InterruptedException {
        if (p.strategies.isEmpty()) {
            return;
        }
        Path csv = dir.resolve("timewait.csv");
        Files.deleteIfExists(csv);
        String why = Netns.unavailableReason();
        if (why != null) {
            out.println("TIME_WAIT under load: skipped: each strategy needs a fresh private network namespace, and " + why);
            return;
        }
        out.println();
        out.println("TIME_WAIT under load: " + p.loadThreads + " teardown client threads, " + p.loadSeconds
                + " s per strategy, each in a fresh network namespace");
        for (int round = 1; round <= p.loadRounds; round++) {
            List<Profile.Strategy> order = new ArrayList<>(p.strategies);
            if (round % 2 == 0) {
                java.util.Collections.reverse(order);
            }
            for (Profile.Strategy s : order) {
                loadRun(s, round, csv);
            }
        }
        for (Map.Entry<String, List<Map<String, String>>> e : loadRuns.entrySet()) {
            List<Map<String, String>> l = e.getValue();
            Map<String, String> agg = new LinkedHashMap<>(l.get(0));
            for (String k : new String[] {"mean_conns_per_sec", "steady_conns_per_sec"}) {
                List<Double> v = new ArrayList<>();
                l.forEach(m -> v.add(Double.parseDouble(m.get(k))));
                agg.put(k, String.format(Locale.ROOT, "%.0f", Tables.median(v)));
            }
            long ea = 0;
            long err = 0;
            long conns = 0;
            int maxTw = 0;
            for (Map<String, String> m : l) {
                ea += Long.parseLong(m.get("eaddrnotavail"));
                err += Long.parseLong(m.get("errors"));
                conns += Long.parseLong(m.get("conns"));
                maxTw = Math.max(maxTw, Integer.parseInt(m.get("max_time_wait")));
            }
            agg.put("eaddrnotavail", Long.toString(ea));
            agg.put("errors", Long.toString(err));
            agg.put("conns", Long.toString(conns));
            agg.put("max_time_wait", Integer.toString(maxTw));
            agg.put("rounds", Integer.toString(l.size()));
            StringBuilder per = new StringBuilder();
            l.forEach(m -> per.append(per.length() == 0 ? "" : "/").append(m.get("steady_conns_per_sec")));
            agg.put("steady_per_round", per.toString());
            loadSummary.put(e.getKey(), agg);
        }
    }

    private void loadRun(Profile.Strategy s, int round, Path csv) throws IOException, InterruptedException {
        {
            List<String> cmd = new ArrayList<>(List.of(Netns.which("unshare"), "-n", "--", "sh", "-c",
                    "\"$0\" link set lo up && exec \"$@\"", Netns.which("ip")));
            cmd.addAll(Netns.javaCommand(TimeWaitLoad.class.getName()));
            cmd.addAll(List.of("--strategy", s.name, "--variant", s.variant.label, "--threads",
                    Integer.toString(p.loadThreads), "--seconds", Double.toString(p.loadSeconds), "--csv", csv.toString(),
                    "--round", Integer.toString(round)));
            for (Map.Entry<String, String> e : s.sysctls.entrySet()) {
                cmd.add("--sysctl");
                cmd.add(e.getKey() + "=" + e.getValue());
            }
            out.printf(Locale.ROOT, "  %-24s round %d  ", s.name, round);
            Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            Map<String, String> summary = null;
            StringBuilder all = new StringBuilder();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(proc.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null;) {
                    all.append(line).append('\n');
                    if (line.startsWith("SUMMARY ")) {
                        summary = new LinkedHashMap<>();
                        for (String kv : line.substring(8).split(" ")) {
                            int eq = kv.indexOf('=');
                            if (eq > 0) {
                                summary.put(kv.substring(0, eq), kv.substring(eq + 1));
                            }
                        }
                    } else if (line.startsWith("SETTINGS ")) {
                        Files.writeString(logDir().resolve("timewait-" + s.name + "-r" + round + ".settings"), line + "\n");
                    }
                }
            }
            int rc = proc.waitFor();
            Files.createDirectories(logDir());
            Files.writeString(logDir().resolve("timewait-" + s.name + "-r" + round + ".log"), all);
            if (rc != 0 || summary == null) {
                failures.add("timewait-load " + s.name + ": exit " + rc + (summary == null ? ", no SUMMARY" : "") + "\n" + all);
                out.println("failed (exit " + rc + ")");
                return;
            }
            summary.put("description", s.description);
            summary.put("sysctls", s.sysctls.toString());
            loadRuns.computeIfAbsent(s.name, k -> new ArrayList<>()).add(summary);
            ran.add("timewait-load strategy=" + s.name + " round=" + round + " seconds=" + summary.get("seconds"));
            out.printf(Locale.ROOT, "mean %6s conns/s, steady %6s conns/s, max TIME_WAIT %6s, EADDRNOTAVAIL %s%n",
                    summary.get("mean_conns_per_sec"), summary.get("steady_conns_per_sec"), summary.get("max_time_wait"),
                    summary.get("eaddrnotavail"));
        }
    }

    // ---------------------------------------------------------------- CSV

    private void writeCsv() throws IOException {
        StringBuilder l = new StringBuilder("round,client,mode,source,samples,mean_ns,p50_ns,p90_ns,p99_ns,p999_ns,max_ns,"
                + "close_alloc_mean_bytes,close_alloc_median_bytes,gc_alloc_norm_bytes_incl_setup\n");
        List<Object[]> rowsOut = new ArrayList<>();
        for (LatRun r : latRuns) {
            rowsOut.add(new Object[] {Integer.toString(r.round()), r.lat()});
        }
        for (Lat x : latency.values()) {
            rowsOut.add(new Object[] {"median", x});
        }
        for (Object[] ro : rowsOut) {
            Lat x = (Lat) ro[1];
            l.append(ro[0]).append(',').append(String.join(",", x.client(), x.mode(), '"' + x.source() + '"', Long.toString(x.n()), f(x.mean()), f(x.p50()),
                    f(x.p90()), f(x.p99()), f(x.p999()), f(x.max()), f(x.closeAllocBytes()), f(x.closeAllocMedian()),
                    f(x.gcAllocNorm()))).append('\n');
        }
        Main.write(dir.resolve("latency.csv"), l.toString());
        StringBuilder c = new StringBuilder("round,client,variant,exchange,iteration,conns_per_sec,time_wait_per_op,"
                + "tw_recycled_per_op,rst_per_op,eaddrnotavail,errors,c_close_ns_mean,c_close_ns_median,"
                + "c_close_call_ns_mean,gc_alloc_norm_bytes\n");
        for (ChurnIt x : churn) {
            c.append(String.join(",", Integer.toString(x.round()), x.client(), x.variant(), Boolean.toString(x.exchange()),
                    Integer.toString(x.iteration()), f(x.rate()), f(x.timeWaitPerOp()), f(x.twRecycledPerOp()),
                    f(x.rstPerOp()), f(x.eaddrnotavail()), f(x.errors()), f(x.closeNsMean()), f(x.closeNsMedian()),
                    f(x.closeCallNsMean()), f(x.gcAllocNorm()))).append('\n');
        }
        Main.write(dir.resolve("churn.csv"), c.toString());
        if (!loadSummary.isEmpty()) {
            StringBuilder s = new StringBuilder("strategy,variant,threads,seconds,rounds,conns,mean_conns_per_sec,"
                    + "steady_conns_per_sec,steady_per_round,max_time_wait,eaddrnotavail,errors,sysctls\n");
            for (Map.Entry<String, Map<String, String>> e : loadSummary.entrySet()) {
                Map<String, String> m = e.getValue();
                s.append(String.join(",", e.getKey(), m.get("variant"), m.get("threads"), m.get("seconds"), m.get("rounds"),
                        m.get("conns"), m.get("mean_conns_per_sec"), m.get("steady_conns_per_sec"), m.get("steady_per_round"),
                        m.get("max_time_wait"),
                        m.get("eaddrnotavail"), m.get("errors"), '"' + m.get("sysctls") + '"')).append('\n');
            }
            Main.write(dir.resolve("timewait-summary.csv"), s.toString());
        }
    }

    static String f(double v) {
        if (Double.isNaN(v)) {
            return "";
        }
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format(Locale.ROOT, "%.4f", v);
    }
}
