package dev.teardown.agent.report;

import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code java -jar teardown-agent.jar report --pid N [--attach] [--json] [--state close-wait|all|STATE,...]}: a JVM's
 * sockets in CLOSE_WAIT (or the states asked for), grouped by the code that opened them. Exit status 0, or 2 for a
 * wrong option or a JVM that cannot be attached to.
 */
public final class Main {
    static final String USAGE = "usage: java -jar teardown-agent.jar report --pid N [--attach [--stacks N|all]"
            + " [--app PREFIX:...] [--lib PREFIX:...]] [--json]"
            + " [--state close-wait|all|STATE[,STATE...]]\n"
            + "  --pid N     the JVM to report on (the agent must be loaded in it, or --attach)\n"
            + "  --attach    load the agent into it first (it records sockets opened from then on)\n"
            + "  --stacks N  with --attach: take at most N stacks per second (default 1000), or all\n"
            + "  --app P:Q   with --attach: packages that are the application's whatever jar they come from\n"
            + "  --lib P:Q   with --attach: packages that are library code (a library shipped as classes)\n"
            + "  --json      one JSON document instead of text\n"
            + "  --state S   the TCP states to list: close-wait (default), all, or e.g. established,close-wait\n"
            + "  or start the JVM with -javaagent:teardown-agent.jar to record every socket from the start";

    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the command line and returns its exit status; what {@link #main} does, without exiting. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        int i = 0;
        if (args.length > 0 && args[0].equals("report")) {
            i = 1;
        }
        long pid = -1;
        boolean attach = false;
        boolean json = false;
        String stacks = null;
        String app = null;
        String lib = null;
        String states = "close-wait";
        try {
            for (; i < args.length; i++) {
                switch (args[i]) {
                    case "--pid" -> pid = Long.parseLong(value(args, ++i));
                    case "--attach" -> attach = true;
                    case "--json" -> json = true;
                    case "--state" -> states = value(args, ++i);
                    case "--stacks" -> stacks = value(args, ++i);
                    case "--app" -> app = value(args, ++i);
                    case "--lib" -> lib = value(args, ++i);
                    case "-h", "--help" -> {
                        out.println(USAGE);
                        return 0;
                    }
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            if (pid <= 0) {
                throw new IllegalArgumentException("--pid is required");
            }
            LeakReport.states(states);
            if (stacks != null && !(attach && (stacks.equals("all") || stacks.matches("[0-9]{1,9}")))) {
                throw new IllegalArgumentException("--stacks takes a number or all, with --attach");
            }
            for (String prefixes : new String[] {app, lib}) {
                if (prefixes != null && !(attach && prefixes.matches("[\\p{L}_$][\\p{L}\\p{N}_$.]*(:[\\p{L}_$][\\p{L}\\p{N}_$.]*)*"))) {
                    throw new IllegalArgumentException("--app and --lib take package prefixes separated by colons"
                            + " (com.acme.:org.acme.), with --attach");
                }
            }
        } catch (IllegalArgumentException e) {
            err.println("teardown: " + e.getMessage());
            err.println(USAGE);
            return 2;
        }
        List<String> options = new ArrayList<>();
        if (stacks != null) {
            options.add("stacks=" + stacks);
        }
        if (app != null) {
            options.add("app=" + app);
        }
        if (lib != null) {
            options.add("lib=" + lib);
        }
        return report(pid, attach, options.isEmpty() ? null : String.join(",", options), json, states, out, err, args);
    }

    private static int report(long pid, boolean attach, String agentOptions, boolean json, String states,
            PrintStream out, PrintStream err, String[] args) {
        boolean existed = !gone(pid);
        try {
            Namespaces.Foreign foreign = Namespaces.network(pid);
            if (foreign != null) {
                return Namespaces.runInside(foreign, pid, agentJar(), args, out, err);
            }
            String report = Attacher.report(pid, attach, agentJar(), agentOptions, states, json);
            if (report == null) {
                Set<String> wanted = LeakReport.states(states);
                LeakReport r = LeakReport.withoutAgent(pid, wanted);
                report = json ? r.json() : r.text();
            } else if (report.startsWith("error: ")) {
                err.println("teardown: pid " + pid + ": " + report.substring(7));
                return 2;
            } else {
                report = hostPid(report, pid, json);
            }
            out.print(report);
            if (!report.endsWith("\n")) {
                out.println();
            }
            return 0;
        } catch (AttachRefused e) {
            err.println("teardown: " + (existed && gone(pid) ? "pid " + pid + " exited during the report"
                    : e.getMessage()));
            return 2;
        } catch (Exception e) {
            err.println("teardown: pid " + pid + ": " + (existed && gone(pid) ? "exited during the report" : e));
            return 2;
        }
    }

    /**
     * The report with the pid the user gave: a JVM in a PID namespace of its own (a container) reports the pid it
     * has there (often 1), which is kept beside it.
     */
    static String hostPid(String report, long pid, boolean json) {
        long inner = innermostPid(pid);
        if (inner <= 0 || inner == pid) {
            return report;
        }
        String text = "pid " + inner;
        String doc = "{\"pid\":" + inner + ",";
        if (json && report.startsWith(doc)) {
            return "{\"pid\":" + pid + ",\"pidInNamespace\":" + inner + "," + report.substring(doc.length());
        }
        if (!json && report.startsWith(text) && report.length() > text.length()
                && (report.charAt(text.length()) == ' ' || report.charAt(text.length()) == ':')) {
            return "pid " + pid + " [" + inner + " in its own PID namespace]" + report.substring(text.length());
        }
        return report;
    }

    /** The pid of {@code pid} in its innermost PID namespace ({@code NSpid} in its status), or -1. */
    private static long innermostPid(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
                if (line.startsWith("NSpid:")) {
                    String[] ids = line.substring(6).trim().split("\\s+");
                    return Long.parseLong(ids[ids.length - 1]);
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // gone, or no NSpid line (a kernel before 4.1): the report says what it says
        }
        return -1;
    }

    /**
     * True if the pid has exited: its /proc entry gone or a zombie. A JVM killed while the report was read can still be
     * tearing down when the read fails, so this looks for up to a second before saying it still runs.
     */
    private static boolean gone(long pid) {
        long end = System.nanoTime() + 1_000_000_000L;
        for (;;) {
            Path dir = Path.of("/proc", String.valueOf(pid));
            if (!Files.isDirectory(dir)) {
                return true;
            }
            try {
                String stat = Files.readString(dir.resolve("stat"));
                int paren = stat.lastIndexOf(')');
                if (paren > 0 && paren + 2 < stat.length() && (stat.charAt(paren + 2) == 'Z' || stat.charAt(paren + 2) == 'X')) {
                    return true;
                }
            } catch (java.io.IOException e) {
                return true; // vanished while read
            }
            if (System.nanoTime() - end > 0) {
                return false;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException(args[i - 1] + " needs a value");
        }
        return args[i];
    }

    /** This jar, which is also the agent; {@code teardown.agent.jar} overrides it (the doctor's jar is not the agent). */
    static Path agentJar() throws URISyntaxException {
        String override = System.getProperty("teardown.agent.jar");
        if (override != null) {
            return Path.of(override);
        }
        Path self = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (!Files.isRegularFile(self)) {
            throw new IllegalStateException("not run from the agent jar (" + self + "): set -Dteardown.agent.jar");
        }
        return self;
    }
}
