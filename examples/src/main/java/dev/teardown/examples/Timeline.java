package dev.teardown.examples;

import dev.teardown.inspect.TcpEntry;
import dev.teardown.inspect.TcpTable;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A netstat loop in the terminal: every ~100 ms it reads {@link TcpTable#snapshot()} (in the network
 * namespace of the thread that created it), keeps the connections on the watched ports, and prints only
 * rows that changed, with the elapsed time. Scenario narration goes through {@link #say}.
 */
final class Timeline implements AutoCloseable {
    private final PrintStream out;
    private final long start = System.nanoTime();
    private final Set<Integer> ports = ConcurrentHashMap.newKeySet();
    private final Map<String, String> last = new HashMap<>();
    private final List<Sample> samples = new ArrayList<>();
    private final Thread sampler;
    private volatile boolean running = true;

    Timeline(PrintStream out) {
        this.out = out;
        out.printf("%9s  %-24s %-24s %s%n", "elapsed", "local", "remote", "state (teardown's TcpTable)");
        // Started from the creating thread, so it inherits that thread's network namespace.
        sampler = new Thread(this::loop, "timeline");
        sampler.setDaemon(true);
        sampler.start();
    }

    /** Shows connections with {@code port} as local or remote port from now on. */
    void watch(int port) {
        ports.add(port);
        sample();
    }

    /**
     * One reading of the table: wall-clock time (epoch seconds, comparable with tcpdump's) just before and just
     * after the read, and the state of each watched connection keyed by {@link #key}.
     */
    record Sample(double from, double to, Map<String, String> states) {}

    /** The key of the connection local port → remote port in {@link Sample#states()}. */
    static String key(int localPort, int remotePort) {
        return localPort + ">" + remotePort;
    }

    /** Every reading taken so far, oldest first. */
    synchronized List<Sample> samples() {
        return List.copyOf(samples);
    }

    static double now() {
        Instant i = Instant.now();
        return i.getEpochSecond() + i.getNano() / 1e9;
    }

    /** Prints a line as it is, without the elapsed time. */
    synchronized void print(String line) {
        out.println(line);
    }

    /** Prints a narration line with the elapsed time. */
    synchronized void say(String text) {
        out.printf("%8.3fs  %s%n", elapsed(), text);
    }

    private double elapsed() {
        return (System.nanoTime() - start) / 1e9;
    }

    private void loop() {
        while (running) {
            sample();
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Takes one sample now and prints what changed. */
    synchronized void sample() {
        if (ports.isEmpty()) {
            return;
        }
        List<TcpEntry> rows;
        double from = now();
        try {
            rows = TcpTable.snapshot();
        } catch (Exception e) {
            out.printf("%8.3fs  (table unreadable: %s)%n", elapsed(), e.getMessage());
            return;
        }
        double to = now();
        Map<String, String> now = new HashMap<>();
        Map<String, String> shown = new HashMap<>();
        Map<String, String> byPorts = new HashMap<>();
        for (TcpEntry e : rows) {
            if (e.local() == null || e.remote() == null) {
                continue;
            }
            if (!ports.contains(e.local().getPort()) && !ports.contains(e.remote().getPort())) {
                continue;
            }
            if (e.remote().getPort() == 0) {
                continue; // listeners are not part of the story
            }
            String key = String.format("%-24s %-24s", addr(e.local()), addr(e.remote()));
            String timer = e.timer() == dev.teardown.inspect.TcpTimer.TIME_WAIT && e.timerExpiry() != null
                    ? "  (timer: " + e.timerExpiry().toMillis() / 1000.0 + " s left)" : "";
            now.put(key, e.state().name());
            byPorts.put(key(e.local().getPort(), e.remote().getPort()), e.state().name());
            shown.put(key, e.state().name() + timer);
        }
        for (Map.Entry<String, String> e : now.entrySet()) {
            if (!e.getValue().equals(last.get(e.getKey()))) {
                out.printf("%8.3fs  %s %s%n", elapsed(), e.getKey(), shown.get(e.getKey()));
            }
        }
        for (String gone : last.keySet()) {
            if (!now.containsKey(gone)) {
                out.printf("%8.3fs  %s %s%n", elapsed(), gone, "(gone: CLOSED)");
            }
        }
        last.clear();
        last.putAll(now);
        samples.add(new Sample(from, to, byPorts));
    }

    /** The state teardown's table shows for local → remote port, or GONE. */
    static String tableState(int localPort, int remotePort) {
        try {
            for (TcpEntry e : TcpTable.snapshot()) {
                if (e.local() != null && e.remote() != null && e.local().getPort() == localPort
                        && e.remote().getPort() == remotePort) {
                    return e.state().name();
                }
            }
        } catch (Exception e) {
            return "UNREADABLE (" + e.getMessage() + ")";
        }
        return "GONE";
    }

    /** The send queue (bytes not yet acknowledged) of local → remote port, from TcpTable; -1 if absent. */
    static long sendQueue(int localPort, int remotePort) {
        try {
            for (TcpEntry e : TcpTable.snapshot()) {
                if (e.local() != null && e.remote() != null && e.local().getPort() == localPort
                        && e.remote().getPort() == remotePort) {
                    return e.sendQueue();
                }
            }
        } catch (Exception e) {
            return -1;
        }
        return -1;
    }

    /** Seconds until the TIME_WAIT entry local → remote port expires, from TcpTable's timer; -1 if there is none. */
    static long timeWaitSecondsLeft(int localPort, int remotePort) {
        try {
            for (TcpEntry e : TcpTable.snapshot()) {
                if (e.local() != null && e.remote() != null && e.local().getPort() == localPort
                        && e.remote().getPort() == remotePort && e.timerExpiry() != null) {
                    return e.timerExpiry().toSeconds();
                }
            }
        } catch (Exception e) {
            return -1;
        }
        return -1;
    }

    private static String addr(InetSocketAddress a) {
        String h = a.getAddress().getHostAddress();
        return (h.contains(":") ? "[" + h + "]" : h) + ":" + a.getPort();
    }

    @Override
    public void close() {
        running = false;
        sampler.interrupt();
        try {
            sampler.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sample();
    }
}
