package dev.teardown.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One native/accept-close-listener process. Every benchmark client, C or Java, connects to one of these,
 * so all of them meet the same server. A driver starts one per mode and passes the ports to its JMH forks
 * as system properties ({@link ListenerMode#portProperty()}); a fork started without them (plain JMH use)
 * starts its own, stopped when the JVM exits.
 */
final class Listener implements AutoCloseable {
    final ListenerMode mode;
    final int port;
    private final Process process;
    private final BufferedReader out;

    private Listener(ListenerMode mode, Process process, BufferedReader out, int port) {
        this.mode = mode;
        this.process = process;
        this.out = out;
        this.port = port;
    }

    static Listener start(ListenerMode mode) {
        try {
            Process p = new ProcessBuilder(Bins.listener(), "--mode", mode.arg, "--address", "127.0.0.1")
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII));
            String line = r.readLine();
            if (line == null || !line.startsWith("LISTENING ")) {
                p.destroyForcibly();
                throw new IllegalStateException("accept-close-listener --mode " + mode.arg + " printed " + line
                        + " instead of LISTENING <addr> <port>");
            }
            String[] f = line.trim().split(" ");
            return new Listener(mode, p, r, Integer.parseInt(f[2]));
        } catch (IOException e) {
            throw new UncheckedIOException("starting accept-close-listener --mode " + mode.arg, e);
        }
    }

    InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", port);
    }

    /** Stops the listener (SIGTERM) and returns its STATS line, or a note why there is none. */
    String stop() {
        process.toHandle().destroy(); // SIGTERM; Process.destroy() would also close the stream we read STATS from
        try {
            String stats = null;
            for (String line; (line = out.readLine()) != null;) {
                if (line.startsWith("STATS")) {
                    stats = line;
                }
            }
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
            return stats != null ? stats : "no STATS line (exit " + process.exitValue() + ")";
        } catch (IOException | InterruptedException | IllegalThreadStateException e) {
            process.destroyForcibly();
            return "no STATS line: " + e;
        }
    }

    @Override
    public void close() {
        stop();
    }

    private static final Map<ListenerMode, Listener> OWN = new EnumMap<>(ListenerMode.class);

    /**
     * The listener for {@code mode}: the driver's (from the system property) or, when there is none, one
     * this JVM starts once and stops at exit.
     */
    static synchronized InetSocketAddress shared(ListenerMode mode) {
        String port = System.getProperty(mode.portProperty());
        if (port != null) {
            return new InetSocketAddress("127.0.0.1", Integer.parseInt(port));
        }
        Listener l = OWN.get(mode);
        if (l == null) {
            if (OWN.isEmpty()) {
                Runtime.getRuntime().addShutdownHook(new Thread(Listener::stopOwn, "listener-stop"));
            }
            l = start(mode);
            OWN.put(mode, l);
        }
        return l.address();
    }

    static synchronized void stopOwn() {
        for (Listener l : OWN.values()) {
            l.stop();
        }
        OWN.clear();
    }
}
