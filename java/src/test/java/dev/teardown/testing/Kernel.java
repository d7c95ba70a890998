package dev.teardown.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Independent observers of kernel socket state for tests: {@code ss -tanH} run as a process, and
 * {@code /proc/self/fd}. Nothing here uses teardown's own code.
 */
public final class Kernel {
    private Kernel() {}

    /** One line of {@code ss -tanH}: state as ss spells it (ESTAB, CLOSE-WAIT, FIN-WAIT-2, TIME-WAIT...). */
    public record SsRow(String state, int recvQ, int sendQ, String localHost, int localPort, String peerHost, int peerPort,
            String rest) {}

    /** Runs {@code ss -tanHo} (all TCP sockets, numeric, with timers) and parses every line. */
    public static List<SsRow> ss() {
        return ss(null);
    }

    /** As {@link #ss()}, inside the named network namespace ({@code ip netns exec}); null: this one. */
    public static List<SsRow> ss(String netns) {
        List<SsRow> rows = new ArrayList<>();
        String out = netns == null ? run("ss", "-tanHo") : run("ip", "netns", "exec", netns, "ss", "-tanHo");
        for (String line : out.split("\n")) {
            String[] f = line.trim().split("\\s+", 6);
            if (f.length < 5) {
                continue;
            }
            int lc = f[3].lastIndexOf(':');
            int pc = f[4].lastIndexOf(':');
            rows.add(new SsRow(f[0], Integer.parseInt(f[1]), Integer.parseInt(f[2]), f[3].substring(0, lc),
                    parsePort(f[3].substring(lc + 1)), f[4].substring(0, pc), parsePort(f[4].substring(pc + 1)),
                    f.length > 5 ? f[5] : ""));
        }
        return rows;
    }

    private static int parsePort(String s) {
        return s.equals("*") ? 0 : Integer.parseInt(s);
    }

    /** ss states of the connection(s) from {@code localPort} to {@code peerPort}; empty if none. */
    public static List<String> states(int localPort, int peerPort) {
        return states(null, localPort, peerPort);
    }

    /** As {@link #states(int, int)}, inside the named network namespace; null: this one. */
    public static List<String> states(String netns, int localPort, int peerPort) {
        List<String> out = new ArrayList<>();
        for (SsRow r : ss(netns)) {
            if (r.localPort == localPort && r.peerPort == peerPort) {
                out.add(r.state);
            }
        }
        return out;
    }

    /** The single ss state of the connection localPort → peerPort, or "GONE" if ss lists none. */
    public static String state(int localPort, int peerPort) {
        return state(null, localPort, peerPort);
    }

    /** As {@link #state(int, int)}, inside the named network namespace; null: this one. */
    public static String state(String netns, int localPort, int peerPort) {
        List<String> s = states(netns, localPort, peerPort);
        return s.isEmpty() ? "GONE" : String.join("+", s);
    }

    /** Polls ss until the connection localPort → peerPort is in {@code want} or the timeout passes; returns the last state. */
    public static String awaitState(int localPort, int peerPort, String want, long timeoutMillis) {
        long end = System.nanoTime() + timeoutMillis * 1_000_000L;
        String s;
        do {
            s = state(localPort, peerPort);
            if (s.equals(want)) {
                return s;
            }
            sleep(20);
        } while (System.nanoTime() < end);
        return s;
    }

    /** Number of open descriptors of this process, from {@code /proc/self/fd}. */
    public static int openFds() {
        try (Stream<Path> s = Files.list(Paths.get("/proc/self/fd"))) {
            return (int) s.count() - 1; // the directory stream's own descriptor
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Waits briefly for the fd count to return to {@code expected} (threads and GC may lag) and returns it. */
    public static int awaitOpenFds(int expected, long timeoutMillis) {
        long end = System.nanoTime() + timeoutMillis * 1_000_000L;
        int n;
        do {
            n = openFds();
            if (n == expected) {
                return n;
            }
            sleep(20);
        } while (System.nanoTime() < end);
        return n;
    }

    /** The flags line of {@code /proc/self/fdinfo/fd}, as an octal number. */
    public static int fdFlags(int fd) {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/self/fdinfo/" + fd))) {
                if (line.startsWith("flags:")) {
                    return Integer.parseInt(line.substring(6).trim(), 8);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/self/fdinfo/" + fd, e);
        }
        throw new IllegalStateException("no flags line in /proc/self/fdinfo/" + fd);
    }

    /** O_CLOEXEC as /proc/self/fdinfo reports it on Linux (02000000 octal). */
    public static final int O_CLOEXEC = 02000000;

    /** True if {@code fd} is close-on-exec according to /proc/self/fdinfo. */
    public static boolean isCloexec(int fd) {
        return (fdFlags(fd) & O_CLOEXEC) != 0;
    }

    public static boolean isRoot() {
        return "root".equals(System.getProperty("user.name")) || run("id", "-u").trim().equals("0");
    }

    /** True when the CI environment variable is set: tests that need a tool fail there instead of skipping. */
    public static boolean inCi() {
        String ci = System.getenv("CI");
        return ci != null && !ci.isEmpty() && !ci.equals("false");
    }

    public static boolean hasCommand(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Paths.get(dir, name))) {
                return true;
            }
        }
        for (String dir : new String[] {"/usr/sbin", "/sbin", "/usr/bin", "/bin"}) {
            if (Files.isExecutable(Paths.get(dir, name))) {
                return true;
            }
        }
        return false;
    }

    /** Runs a command, returning stdout; fails the test on a non-zero exit. */
    public static String run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
            byte[] out = p.getInputStream().readAllBytes();
            byte[] err = p.getErrorStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("timed out: " + String.join(" ", cmd));
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " exited " + p.exitValue() + ": "
                        + new String(err, StandardCharsets.UTF_8));
            }
            return new String(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + String.join(" ", cmd) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
