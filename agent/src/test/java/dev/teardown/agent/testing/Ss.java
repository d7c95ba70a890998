package dev.teardown.agent.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The independent observer: {@code ss}, run as a process (the parts of the core's test Kernel this module needs). */
public final class Ss {
    private Ss() {}

    /** Sockets in CLOSE_WAIT whose local port is {@code port}, as {@code ss -tanH state close-wait} lists them. */
    public static int closeWait(int port) throws IOException, InterruptedException {
        return count(0, "close-wait", port, false);
    }

    /**
     * Sockets in {@code state} (as ss spells it: close-wait, fin-wait-1...) whose peer's port is {@code port}
     * ({@code peer} true) or whose own port is ({@code peer} false), in the network namespace of {@code pid}
     * ({@code nsenter}) or this one (pid 0).
     */
    public static int count(long pid, String state, int port, boolean peer) throws IOException, InterruptedException {
        return count(pid, state, port, peer, 0);
    }

    /** As {@link #count(long, String, int, boolean)}, counting only sockets with at least {@code minUnread} bytes unread. */
    public static int count(long pid, String state, int port, boolean peer, long minUnread)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        if (pid > 0) {
            cmd.addAll(List.of("nsenter", "--net=/proc/" + pid + "/ns/net"));
        }
        cmd.addAll(List.of("ss", "-tanH", "state", state));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("ss failed: " + out);
        }
        int n = 0;
        for (String line : out.split("\n")) {
            // with a state filter ss drops the State column: Recv-Q Send-Q Local:Port Peer:Port
            String[] f = line.trim().split("\\s+");
            if (f.length >= 4 && f[peer ? 3 : 2].endsWith(":" + port) && Long.parseLong(f[0]) >= minUnread) {
                n++;
            }
        }
        return n;
    }

    /** Waits up to {@code seconds} for {@link #count} to reach {@code expected}; returns the last count. */
    public static int await(long pid, String state, int port, boolean peer, int expected, int seconds)
            throws IOException, InterruptedException {
        return await(pid, state, port, peer, 0, expected, seconds);
    }

    /** As {@link #await(long, String, int, boolean, int, int)}, for sockets with at least {@code minUnread} unread. */
    public static int await(long pid, String state, int port, boolean peer, long minUnread, int expected, int seconds)
            throws IOException, InterruptedException {
        int n = count(pid, state, port, peer, minUnread);
        for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds); n != expected && System.nanoTime() < end; ) {
            Thread.sleep(100);
            n = count(pid, state, port, peer, minUnread);
        }
        return n;
    }

    /** Waits up to 5 s for {@code ss} to list {@code expected} CLOSE_WAIT sockets on {@code port}; returns the last count. */
    public static int awaitCloseWait(int port, int expected) throws IOException, InterruptedException {
        return await(0, "close-wait", port, false, expected, 5);
    }

    /** True when {@code ss} runs here. */
    public static boolean available() {
        try {
            return new ProcessBuilder("ss", "-V").start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}
