package dev.teardown;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.teardown.inspect.TcpTable;
import dev.teardown.testing.Kernel;
import dev.teardown.testing.NetLab;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The long run, in a private network namespace with the port range widened to 1024-65535 and tcp_tw_reuse on:
 * a million connections opened, used and closed in turn in every mode (client first, server first, RST), one in
 * a hundred clients never closed at all and left to the {@link SafetyNet}. The process's fd count and its heap
 * after GC are sampled all along and must hold steady; every never-closed socket must be released by the safety
 * net and reported. Excluded from {@code mvn verify}; run with {@code mvn -B verify -P longrun -pl java}.
 */
@Tag("longrun")
class LongRunTest {
    static final int CONNECTIONS = Integer.getInteger("teardown.longrun.connections", 1_000_000);
    static final int LEAK_EVERY = 100;
    static final int SAMPLE_EVERY = 50_000;

    record Sample(int connections, int fds, long heapAfterGc, long collected, double rate, Map<TcpState, Integer> states) {}

    @Test
    @Timeout(1800)
    void aMillionConnectionsKeepTheFdCountAndHeapSteadyAndTheSafetyNetCatchesEveryLeak() throws Exception {
        Logger teardownLog = Logger.getLogger("dev.teardown");
        // counted, not kept: ten thousand kept messages would themselves grow the heap being measured
        AtomicLong reports = new AtomicLong();
        AtomicReference<String> firstReport = new AtomicReference<>("(none)");
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getLevel().intValue() >= Level.WARNING.intValue() && r.getMessage().contains("never closed")) {
                    reports.incrementAndGet();
                    firstReport.compareAndSet("(none)", r.getMessage());
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        teardownLog.addHandler(capture);
        boolean parentHandlers = teardownLog.getUseParentHandlers();
        teardownLog.setUseParentHandlers(false); // ten thousand warnings are counted, not printed
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        try (NetLab lab = NetLab.create()) {
            NetLab.Ns ns = lab.a();
            ns.sysctl("net.ipv4.ip_local_port_range", "1024 65535");
            ns.sysctl("net.ipv4.tcp_tw_reuse", "1");
            long collectedAtStart = SafetyNet.collected();
            List<Sample> samples = new ArrayList<>();
            int[] leaked = {0};
            long t0 = System.nanoTime();
            int fdsAtStart = ns.call(() -> {
                // warm up inside the namespace, then the baseline
                runConnections(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1000, null);
                return Net.baselineOpenFds();
            });
            ns.call(() -> {
                try (TcpListener l = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096)) {
                    long last = System.nanoTime();
                    for (int done = 0; done < CONNECTIONS; done += SAMPLE_EVERY) {
                        leaked[0] += runConnections(l.localAddress(), SAMPLE_EVERY, l);
                        long now = System.nanoTime();
                        System.gc();
                        Sample s = new Sample(done + SAMPLE_EVERY, Kernel.openFds(), memory.getHeapMemoryUsage().getUsed(),
                                SafetyNet.collected() - collectedAtStart, SAMPLE_EVERY * 1e9 / (now - last),
                                TcpTable.counts());
                        last = System.nanoTime();
                        samples.add(s);
                        System.out.printf("longrun: %,9d connections, %4d fds, heap after GC %6.1f MiB, safety net"
                                + " released %,6d, %,7.0f connections/s, table %s%n", s.connections(), s.fds(),
                                s.heapAfterGc() / 1048576.0, s.collected(), s.rate(), s.states());
                    }
                }
                return null;
            });
            long seconds = (System.nanoTime() - t0) / 1_000_000_000L;

            // every never-closed socket is released by the safety net once the GC finds it
            long end = System.nanoTime() + 30_000_000_000L;
            while (SafetyNet.collected() - collectedAtStart < leaked[0] && System.nanoTime() < end) {
                System.gc();
                Net.sleepMillis(100);
            }
            long released = SafetyNet.collected() - collectedAtStart;
            int fdsAtEnd = Kernel.awaitOpenFds(fdsAtStart, 10_000);
            System.gc();
            long heapEnd = memory.getHeapMemoryUsage().getUsed();
            long heapMin = samples.stream().mapToLong(Sample::heapAfterGc).min().orElse(0);
            long heapMax = samples.stream().mapToLong(Sample::heapAfterGc).max().orElse(0);
            int fdMax = samples.stream().mapToInt(Sample::fds).max().orElse(0);
            String sample = firstReport.get();
            System.out.printf("longrun: %,d connections in %d s (%,.0f/s); fd count %d at start, at most %d at a sample,"
                    + " %d at the end; heap after GC %.1f-%.1f MiB over the samples, %.1f MiB at the end; %,d sockets"
                    + " never closed, %,d released by the safety net, %,d reports logged; a report: %s%n",
                    CONNECTIONS, seconds, CONNECTIONS / (double) Math.max(1, seconds), fdsAtStart, fdMax, fdsAtEnd,
                    heapMin / 1048576.0, heapMax / 1048576.0, heapEnd / 1048576.0, leaked[0], released,
                    reports.get(), sample);

            assertEquals(fdsAtStart, fdsAtEnd, "the fd count is back where it started: " + Net.fdLinks());
            assertTrue(fdMax <= fdsAtStart + 2 * SAMPLE_EVERY / LEAK_EVERY + 16,
                    "the fd count stays bounded between samples: at most " + fdMax);
            assertTrue(heapMax - heapMin < 64L << 20, "the heap after GC holds steady: " + heapMin + ".." + heapMax);
            assertEquals(leaked[0], released, "the safety net released every never-closed socket");
            assertEquals(leaked[0], reports.get(), "and reported each one");
        } finally {
            teardownLog.removeHandler(capture);
            teardownLog.setUseParentHandlers(parentHandlers);
        }
    }

    /**
     * Opens and closes {@code n} connections to {@code at} (a listener of its own if {@code l} is null), rotating
     * through the close modes; one client in {@link #LEAK_EVERY} is never closed. Returns how many were leaked.
     */
    private static int runConnections(InetSocketAddress at, int n, TcpListener l) throws Exception {
        TcpListener own = l == null ? TcpListener.bind(at, 4096) : null;
        TcpListener listener = l == null ? own : l;
        ByteBuffer one = ByteBuffer.allocateDirect(1);
        ByteBuffer buf = ByteBuffer.allocateDirect(64);
        int leaked = 0;
        try {
            for (int i = 0; i < n; i++) {
                TcpSocket c = TcpSocket.connect(listener.localAddress(), Duration.ofSeconds(5));
                TcpSocket s = listener.accept(Duration.ofSeconds(5));
                c.write(one.clear());
                s.read(buf.clear(), Duration.ofSeconds(5));
                if (own == null && i % LEAK_EVERY == LEAK_EVERY - 1) {
                    s.close(CloseMode.SHUTDOWN); // the client is dropped unclosed: CLOSE_WAIT until the safety net
                    leaked++;
                    continue;
                }
                switch (i % 4) {
                    case 0 -> { // client first, orderly
                        c.close(CloseMode.SHUTDOWN);
                        s.close(CloseMode.graceful(Duration.ofSeconds(5)));
                    }
                    case 1 -> { // client resets
                        c.close(CloseMode.ABORT);
                        s.close(CloseMode.RELEASE);
                    }
                    case 2 -> { // server first
                        s.close(CloseMode.SHUTDOWN);
                        c.close(CloseMode.RELEASE);
                    }
                    default -> { // both plain
                        c.close(CloseMode.RELEASE);
                        s.close(CloseMode.linger(Duration.ofSeconds(1)));
                    }
                }
            }
        } finally {
            if (own != null) {
                own.close();
            }
        }
        return leaked;
    }
}
