package dev.teardown.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;

/**
 * The driver behind {@code ./teardown bench}. Usage:
 *
 * <pre>
 * java -jar benchmarks.jar [quick|full|smoke] [--out DIR] [--host-netns]
 * java -jar benchmarks.jar jmh [JMH options]          plain JMH (org.openjdk.jmh.Main), e.g. -prof stack
 * java -jar benchmarks.jar timewait-load [options]     one TIME_WAIT-under-load run (see TimeWaitLoad)
 * java -jar benchmarks.jar vthreads [options]          the parking benchmarks: echo, scale, churn (see ParkingBench)
 * </pre>
 *
 * quick (default): close-path latency and churn for the main modes, a comparison table, CSV in
 * benchmarks/target/bench-quick. full: every benchmark, two interleaved churn rounds, TIME_WAIT under load,
 * CSV and PNG plots in benchmarks/results. smoke: everything for a fraction of a second (the CI test).
 * As root the run happens in a private network namespace (see {@link Netns}); {@code --host-netns} opts out.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("jmh")) {
            org.openjdk.jmh.Main.main(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        if (args.length > 0 && args[0].equals("vthreads")) {
            System.exit(ParkingBench.main(Arrays.copyOfRange(args, 1, args.length), System.out));
        }
        if (args.length > 0 && args[0].equals("timewait-load")) {
            TimeWaitLoad.main(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        System.exit(run(args, System.out));
    }

    static int run(String[] args, PrintStream out) throws Exception {
        String profile = "quick";
        Path dir = null;
        boolean hostNetns = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "quick":
                case "full":
                case "smoke":
                    profile = args[i];
                    break;
                case "--out":
                    dir = Paths.get(args[++i]);
                    break;
                case "--host-netns":
                    hostNetns = true;
                    break;
                case "-h":
                case "--help":
                    out.println("usage: java -jar benchmarks.jar [quick|full|smoke] [--out DIR] [--host-netns]\n"
                            + "       java -jar benchmarks.jar jmh [JMH options]\n"
                            + "       java -jar benchmarks.jar timewait-load --strategy NAME --variant V --threads N"
                            + " --seconds T [--sysctl k=v]... [--csv FILE]\n"
                            + "       java -jar benchmarks.jar vthreads [--quick|--smoke] [echo] [scale] [churn] (--help)");
                    return 0;
                default:
                    out.println("unknown argument '" + args[i] + "' (see --help)");
                    return 2;
            }
        }
        Profile p = Profile.of(profile);
        boolean privateNetns = false;
        if (Netns.inside()) {
            Netns.setUp(Netns.runSettings());
            privateNetns = true;
        } else if (!hostNetns) {
            String why = Netns.unavailableReason();
            if (why == null) {
                return Netns.reexec(Main.class.getName(), args);
            }
            out.println("note: cannot make a private network namespace: " + why + ".");
            out.println("      Running in this namespace with its settings; TIME_WAIT left by earlier runs can stall connect(),");
            out.println("      and the TIME_WAIT-under-load part (which needs its own namespaces) is skipped.");
        } else {
            out.println("note: --host-netns: running in this namespace with its settings.");
        }
        if (dir == null) {
            Path root = repositoryRoot();
            dir = profile.equals("full") ? root.resolve("benchmarks/results")
                    : profile.equals("quick") ? root.resolve("benchmarks/target/bench-quick")
                    : Files.createTempDirectory("teardown-bench-smoke");
        }
        Files.createDirectories(dir);
        return new Driver(p, dir, out, privateNetns).run();
    }

    /** The repository root: two levels above benchmarks/target/benchmarks.jar (or target/classes), else the cwd. */
    static Path repositoryRoot() {
        try {
            Path here = Paths.get(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path root = here.getParent().getParent().getParent();
            if (Files.isDirectory(root.resolve("benchmarks"))) {
                return root;
            }
        } catch (Exception e) {
            // fall through
        }
        Path cwd = Paths.get("").toAbsolutePath();
        return Files.isDirectory(cwd.resolve("benchmarks")) ? cwd : cwd.getParent();
    }

    static void write(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }
}
