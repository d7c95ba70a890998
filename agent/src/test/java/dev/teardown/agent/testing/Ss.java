package dev.teardown.agent.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/** The independent observer: {@code ss}, run as a process (the parts of the core's test Kernel this module needs). */
public final class Ss {
    private Ss() {}

    /** Sockets in CLOSE_WAIT whose local port is {@code port}, as {@code ss -tanH state close-wait} lists them. */
    public static int closeWait(int port) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("ss", "-tanH", "state", "close-wait").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("ss failed: " + out);
        }
        int n = 0;
        for (String line : out.split("\n")) {
            // with a state filter ss drops the State column: Recv-Q Send-Q Local:Port Peer:Port
            String[] f = line.trim().split("\\s+");
            if (f.length >= 4 && f[2].endsWith(":" + port)) {
                n++;
            }
        }
        return n;
    }

    /** Waits up to 5 s for {@code ss} to list {@code expected} CLOSE_WAIT sockets on {@code port}; returns the last count. */
    public static int awaitCloseWait(int port, int expected) throws IOException, InterruptedException {
        int n = closeWait(port);
        for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5); n != expected && System.nanoTime() < end; ) {
            Thread.sleep(50);
            n = closeWait(port);
        }
        return n;
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
