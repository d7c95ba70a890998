package dev.teardown.bench;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The parking benchmarks of issue 9 ({@code java -jar benchmarks.jar vthreads}, {@code ./teardown bench vthreads}):
 * the echo server on virtual and platform threads ({@link EchoBench}), scale with idle connections each read by a
 * parked virtual thread ({@link ScaleServer}), and churn with the 1-byte exchange against C (the {@link Driver}'s
 * {@code exchange} profile). Usage:
 *
 * <pre>
 * java -jar benchmarks.jar vthreads [--quick|--smoke] [echo] [scale] [churn] [--rounds N] [--clients 64,1000]
 *     [--conns 10000,100000] [--scale-impls teardown,teardown-async,jdk-socket] [--carriers 2] [--out DIR] [--host-netns]
 * </pre>
 *
 * No part named: all three. The echo and scale servers are child JVMs of this JDK (21+ for virtual threads) with
 * {@code -Djdk.virtualThreadScheduler.parallelism=<carriers>}; the clients are the C {@code echo-load}. As root it
 * re-runs itself in a private network namespace with the descriptor limit raised ({@code prlimit}, {@code unshare -n}).
 */
final class ParkingBench {
    private ParkingBench() {}

    static final int NOFILE = 400_000;
    /** Client connections per destination address (one address allows ~64k source ports). */
    private static final int PER_ADDRESS = 30_000;

    private static int carriers = 2;

    static int main(String[] args, PrintStream out) throws Exception {
        String size = "full";
        List<String> parts = new ArrayList<>();
        Path dir = null;
        boolean hostNetns = false;
        Integer rounds = null;
        List<Integer> clients = null;
        List<Integer> conns = null;
        List<String> scaleImpls = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick": size = "quick"; break;
                case "--smoke": size = "smoke"; break;
                case "echo":
                case "scale":
                case "churn":
                    parts.add(args[i]);
                    break;
                case "--rounds": rounds = Integer.parseInt(args[++i]); break;
                case "--clients": clients = ints(args[++i]); break;
                case "--conns": conns = ints(args[++i]); break;
                case "--scale-impls": scaleImpls = Arrays.asList(args[++i].split(",")); break;
                case "--carriers": carriers = Integer.parseInt(args[++i]); break;
                case "--out": dir = Paths.get(args[++i]); break;
                case "--host-netns": hostNetns = true; break;
                default:
                    out.println("usage: java -jar benchmarks.jar vthreads [--quick|--smoke] [echo] [scale] [churn] [--rounds N]"
                            + " [--clients 64,1000] [--conns 10000,100000] [--scale-impls teardown,teardown-async,jdk-socket] [--carriers 2]"
                            + " [--out DIR] [--host-netns]");
                    return args[i].equals("-h") || args[i].equals("--help") ? 0 : 2;
            }
        }
        if (parts.isEmpty()) {
            parts.addAll(List.of("echo", "scale", "churn"));
        }
        boolean privateNetns = false;
        if (Netns.inside()) {
            Netns.setUp(Netns.runSettings());
            privateNetns = true;
        } else if (!hostNetns) {
            String why = Netns.unavailableReason();
            if (why == null) {
                return reexec(args);
            }
            out.println("note: cannot make a private network namespace: " + why + "; running in this one, scale limited"
                    + " by this process's descriptor limit.");
        }
        if (dir == null) {
            dir = size.equals("smoke") ? Files.createTempDirectory("teardown-vthreads-smoke")
                    : Main.repositoryRoot().resolve("benchmarks/target/bench-vthreads" + (size.equals("full") ? "" : "-" + size));
        }
        Files.createDirectories(dir);
        if (size.equals("smoke")) {
            System.setProperty("jmh.ignoreLock", "true");
        }

        StringBuilder env = new StringBuilder();
        env.append("vthreads: ").append(size).append(' ').append(parts).append("  (").append(Instant.now()).append(")\n");
        env.append("jdk:      ").append(System.getProperty("java.vm.name")).append(' ')
                .append(System.getProperty("java.runtime.version")).append(", servers with -Djdk.virtualThreadScheduler.parallelism=")
                .append(carriers).append('\n');
        env.append("kernel:   ").append(Kernel.kernelRelease()).append(", ").append(Runtime.getRuntime().availableProcessors())
                .append(" CPUs, load average ").append(loadAverage()).append('\n');
        env.append("netns:    ").append(Kernel.netns()).append(privateNetns ? " (private)" : " (the host's)")
                .append(", settings: ").append(Kernel.settings()).append('\n');
        out.print(env);
        StringBuilder report = new StringBuilder(env);
        List<String> failures = new ArrayList<>();
        List<String> ran = new ArrayList<>();

        if (parts.contains("echo")) {
            List<String> kinds = VirtualThreads.AVAILABLE ? List.of("virtual", "platform") : List.of("platform");
            if (!VirtualThreads.AVAILABLE) {
                out.println("note: this JDK has no virtual threads: echo runs on platform threads only (use a JDK 21+)");
            }
            EchoBench e = size.equals("full") ? new EchoBench(or(clients, List.of(64, 1000)), kinds, or(rounds, 5), 3, 3, out)
                    : size.equals("quick") ? new EchoBench(or(clients, List.of(64, 1000)), kinds, or(rounds, 1), 0.5, 1, out)
                    : new EchoBench(or(clients, List.of(16)), kinds, or(rounds, 1), 0.2, 0.3, out);
            String load0 = loadAverage();
            e.run();
            Main.write(dir.resolve("echo.csv"), e.csv());
            String t = e.table() + "load average before / after: " + load0 + " / " + loadAverage() + "\n";
            out.print("\n" + t + "\n");
            report.append('\n').append(t);
            failures.addAll(e.failures);
            for (EchoBench.Run r : e.runs) {
                ran.add("echo " + r.impl() + " " + r.threads() + " clients=" + r.clients());
            }
        }
        if (parts.contains("scale")) {
            if (!VirtualThreads.AVAILABLE) {
                failures.add("scale: needs a JDK 21+ (virtual threads)");
            } else {
                List<Integer> ns = or(conns, size.equals("full") ? List.of(10_000, 100_000)
                        : size.equals("quick") ? List.of(10_000) : List.of(1000));
                List<String> impls = or(scaleImpls, size.equals("smoke") ? List.of(EchoServer.TEARDOWN)
                        : List.of(EchoServer.TEARDOWN, ScaleServer.TEARDOWN_ASYNC, EchoServer.JDK_SOCKET));
                StringBuilder csv = new StringBuilder();
                StringBuilder t = new StringBuilder("Scale: idle connections, each read by a parked virtual thread\n");
                long limit = hardNofile();
                for (int asked : ns) {
                    // the server and the client each hold n descriptors: stay below the hard limit
                    int n = limit > 0 && asked > limit - 1000 ? (int) (limit - 1000) : asked;
                    if (n != asked) {
                        String note = "scale: " + asked + " connections asked, " + n + " run: RLIMIT_NOFILE hard limit is "
                                + limit + " and cannot be raised here";
                        out.println("note: " + note);
                        t.append(note).append('\n');
                    }
                    for (String impl : impls) {
                        out.printf(Locale.ROOT, "scale    %-11s conns=%-7d load %s  ", impl, n, loadAverage());
                        try {
                            Map<String, String> m = scale(impl, n);
                            if (csv.length() == 0) {
                                csv.append(String.join(",", m.keySet())).append('\n');
                            }
                            csv.append(String.join(",", m.values())).append('\n');
                            String line = m.entrySet().stream().map(x -> x.getKey() + "=" + x.getValue())
                                    .reduce((a, b) -> a + " " + b).orElse("");
                            out.println(line);
                            t.append(line).append('\n');
                            ran.add("scale " + impl + " conns=" + n);
                        } catch (Exception x) {
                            failures.add("scale " + impl + " conns=" + n + ": " + x.getMessage());
                            out.println("failed: " + x.getMessage());
                        }
                    }
                }
                Main.write(dir.resolve("scale.csv"), csv.toString());
                report.append('\n').append(t);
            }
        }
        if (parts.contains("churn")) {
            Path churnDir = dir.resolve("churn");
            Files.createDirectories(churnDir);
            out.println("churn with the 1-byte exchange (profile exchange" + (size.equals("full") ? "" : "-" + size) + ")");
            int rc = new Driver(Profile.of(size.equals("full") ? "exchange" : "exchange-" + size), churnDir, out,
                    privateNetns).run();
            report.append("\nchurn with the 1-byte exchange: ").append(churnDir.resolve("summary.txt")).append('\n');
            if (rc != 0) {
                failures.add("churn: driver exit " + rc);
            } else {
                ran.add("churn exchange");
            }
        }
        Main.write(dir.resolve("summary.txt"), report.toString());
        out.println("results: " + dir.toAbsolutePath());
        for (String r : ran) {
            out.println("VTHREADS ok " + r);
        }
        for (String f : failures) {
            out.println("FAILED " + f);
        }
        return failures.isEmpty() ? 0 : 1;
    }

    /** The hard RLIMIT_NOFILE of this process (inherited by the server and the client), or -1. */
    static long hardNofile() {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    String[] f = line.trim().split("\\s+");
                    return Long.parseLong(f[4]);
                }
            }
        } catch (Exception e) {
            // not Linux
        }
        return -1;
    }

    /** One ScaleServer JVM; its RESULT line as a map. */
    private static Map<String, String> scale(String impl, int n) throws Exception {
        StringBuilder addrs = new StringBuilder();
        for (int i = 0; i < Math.max(1, (n + PER_ADDRESS - 1) / PER_ADDRESS); i++) {
            addrs.append(i == 0 ? "" : ",").append("127.0.0.").append(i + 1);
        }
        List<String> cmd = new ArrayList<>(serverJava());
        cmd.addAll(List.of(ScaleServer.class.getName(), impl, Integer.toString(n), addrs.toString(), Bins.echoLoad()));
        Map<String, String> m = new LinkedHashMap<>();
        m.put("load_avg", loadAverage());
        m.putAll(CRunner.result(cmd));
        return m;
    }

    /** java (this JDK), heap, carriers, native access, class path: the start of a server JVM's command. */
    static List<String> serverJava() {
        List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms1g", "-Xmx2g", "-Djdk.virtualThreadScheduler.parallelism=" + carriers));
        if (Runtime.version().feature() >= 22) {
            cmd.add("--enable-native-access=ALL-UNNAMED");
        }
        for (String prop : new String[] {"teardown.native.bin", "teardown.bench.bin"}) {
            if (System.getProperty(prop) != null) {
                cmd.add("-D" + prop + "=" + System.getProperty(prop));
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        return cmd;
    }

    /** Runs Main vthreads again with the descriptor limit raised, in a new network namespace. */
    private static int reexec(String[] args) throws Exception {
        List<String> cmd = new ArrayList<>();
        String prlimit = Netns.which("prlimit");
        List<String> raise = prlimit == null ? List.of() : List.of(prlimit, "--nofile=" + NOFILE + ":" + NOFILE);
        if (!raise.isEmpty() && new ProcessBuilder(raise.get(0), raise.get(1), "true").inheritIO().start().waitFor() == 0) {
            cmd.addAll(raise);
        } else {
            System.out.println("note: cannot raise RLIMIT_NOFILE to " + NOFILE + " (needs CAP_SYS_RESOURCE); scale is capped"
                    + " by the hard limit " + hardNofile());
        }
        cmd.addAll(List.of(Netns.which("unshare"), "-n", "--"));
        cmd.addAll(Netns.javaCommand(Main.class.getName()));
        cmd.add("vthreads");
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
        pb.environment().put(Netns.ENV, "1");
        Process p = pb.start();
        Runtime.getRuntime().addShutdownHook(new Thread(p::destroy));
        if (!p.waitFor(3, TimeUnit.HOURS)) {
            p.destroyForcibly();
        }
        return p.exitValue();
    }

    static String loadAverage() {
        return String.format(Locale.ROOT, "%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }

    private static List<Integer> ints(String s) {
        List<Integer> l = new ArrayList<>();
        for (String x : s.split(",")) {
            l.add(Integer.parseInt(x.trim().replace("_", "")));
        }
        return l;
    }

    private static <T> T or(T value, T otherwise) {
        return value != null ? value : otherwise;
    }
}
