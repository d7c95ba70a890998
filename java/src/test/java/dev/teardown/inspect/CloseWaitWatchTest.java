package dev.teardown.inspect;

import dev.teardown.TcpState;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.teardown.CloseMode;
import dev.teardown.TcpListener;
import dev.teardown.TcpSocket;
import dev.teardown.testing.Kernel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** CloseWaitWatch: reports stuck sockets of this process within one interval, with the allocation site. */
class CloseWaitWatchTest {
    private static final Duration T = Duration.ofSeconds(5);
    private static final Duration INTERVAL = Duration.ofMillis(300);

    @AfterEach
    void trackingOff() {
        AllocationSites.disable();
    }

    /** Waits for a report whose local address is {@code local}; returns it and the wait, or null. */
    private static CloseWaitReport await(List<CloseWaitReport> reports, InetSocketAddress local, long timeoutMillis) {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        do {
            for (CloseWaitReport r : reports) {
                if (r.local().equals(local)) {
                    return r;
                }
            }
            Kernel.sleep(10);
        } while (System.nanoTime() < end);
        return null;
    }

    @Test
    void reportsACloseWaitSocketWithinOneIntervalAndNamesWhereItWasOpened() throws Exception {
        List<CloseWaitReport> reports = new CopyOnWriteArrayList<>();
        Map<Long, Long> sampleOfReport = new ConcurrentHashMap<>();
        AtomicReference<CloseWaitWatch> self = new AtomicReference<>();
        AllocationSites.enable();
        try (TcpListener l = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                CloseWaitWatch watch = CloseWaitWatch.start(Duration.ZERO, INTERVAL, r -> {
                    sampleOfReport.put(r.inode(), self.get() == null ? -1 : self.get().samples());
                    reports.add(r);
                })) {
            self.set(watch);
            TcpSocket client = TcpSocket.connect(l.localAddress(), T);
            TcpSocket leaked = l.accept(T);
            dev.teardown.internal.SocketSites.record(leaked.fd()); // what TcpSocket will do once wired
            InetSocketAddress local = leaked.localAddress();
            int clientPort = client.localAddress().getPort();
            client.close(CloseMode.RELEASE); // peer FIN: `leaked` is now in CLOSE_WAIT, and we never close it
            assertEquals("CLOSE-WAIT", Kernel.awaitState(local.getPort(), clientPort, "CLOSE-WAIT", 5000));
            // samples() counts finished samples: the one running now (index s0) may have read the table before the
            // FIN; the next one (s0 + 1) must report. That is "within one interval", whatever the machine's load.
            long s0 = watch.samples();
            CloseWaitReport r = await(reports, local, INTERVAL.toMillis() * 2 + 5_000);
            try {
                assertTrue(r != null, "no report: " + reports);
                long reportedIn = sampleOfReport.get(r.inode());
                assertTrue(reportedIn <= s0 + 1, "reported by sample " + reportedIn + ", CLOSE_WAIT seen before sample " + s0);
                assertEquals(TcpState.CLOSE_WAIT, r.entry().state());
                assertEquals(List.of(leaked.fd()), r.fds());
                assertEquals(SocketOwners.inodeOf(leaked.fd()).getAsLong(), r.inode());
                assertTrue(r.otherHolders().isEmpty(), r.toString());
                assertFalse(r.eofRead(), "nobody read the end of stream: " + r.entry());
                assertTrue(r.toString().contains("0 bytes and the end of stream unread"), r.toString());
                Throwable site = r.allocationSite().orElseThrow();
                assertTrue(stackMentions(site, "reportsACloseWaitSocketWithinOneIntervalAndNamesWhereItWasOpened"),
                        "site names the test method");
                assertTrue(r.toString().contains("opened at dev.teardown.inspect.CloseWaitWatchTest"), r.toString());
                assertTrue(watch.stuck().stream().anyMatch(x -> x.inode() == r.inode()));
                long s1 = watch.samples();
                awaitSamples(watch, s1 + 2);
                assertEquals(1, reports.stream().filter(x -> x.inode() == r.inode()).count(), "reported once");
            } finally {
                leaked.close(CloseMode.RELEASE);
            }
            awaitSamples(watch, watch.samples() + 2);
            assertFalse(watch.stuck().stream().anyMatch(x -> x.inode() == r.inode()), "closed: no longer stuck");
        }
    }

    private static void awaitSamples(CloseWaitWatch watch, long n) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (watch.samples() < n && System.nanoTime() < end) {
            Kernel.sleep(10);
        }
        assertTrue(watch.samples() >= n, "the watch stopped sampling");
    }

    @Test
    void respectsTheThreshold() throws Exception {
        List<CloseWaitReport> reports = new CopyOnWriteArrayList<>();
        try (TcpListener l = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                CloseWaitWatch watch = CloseWaitWatch.start(Duration.ofMillis(1200), Duration.ofMillis(200), reports::add)) {
            TcpSocket client = TcpSocket.connect(l.localAddress(), T);
            try (TcpSocket leaked = l.accept(T)) {
                InetSocketAddress local = leaked.localAddress();
                client.close(CloseMode.RELEASE);
                Kernel.sleep(800);
                assertTrue(reports.stream().noneMatch(r -> r.local().equals(local)), "reported before the threshold");
                // generous: await returns at the first report, and a loaded machine delays the sampler's thread
                CloseWaitReport r = await(reports, local, 10_000);
                assertTrue(r != null, "not reported after the threshold");
                assertTrue(r.age().toMillis() >= 1200, r.toString());
                assertFalse(r.allocationSite().isPresent(), "tracking is off");
                assertTrue(r.toString().contains("allocation tracking is off"), r.toString());
            }
        }
    }

    @Test
    void reportsNothingForHealthySockets() throws Exception {
        List<CloseWaitReport> reports = new CopyOnWriteArrayList<>();
        try (TcpListener l = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                CloseWaitWatch watch = CloseWaitWatch.start(Duration.ZERO, Duration.ofMillis(100), reports::add)) {
            int port = l.localAddress().getPort();
            TcpSocket a = TcpSocket.connect(l.localAddress(), T);
            TcpSocket b = l.accept(T);
            TcpSocket c = TcpSocket.connect(l.localAddress(), T);
            TcpSocket d = l.accept(T);
            c.close(CloseMode.RELEASE); // peer closes ...
            d.close(CloseMode.RELEASE); // ... and we close too: LAST_ACK then gone, never stuck
            long samples = watch.samples();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            while (watch.samples() < samples + 5 && System.nanoTime() < end) {
                Kernel.sleep(20);
            }
            assertTrue(watch.samples() >= samples + 5, "the watch keeps sampling");
            assertTrue(reports.stream().noneMatch(r -> r.local().getPort() == port || r.remote().getPort() == port),
                    reports.toString());
            a.close(CloseMode.ABORT);
            b.close(CloseMode.ABORT);
        }
    }

    @Test
    void seesACloseWaitOfAPlainJdkSocketChannel() throws Exception {
        List<CloseWaitReport> reports = new CopyOnWriteArrayList<>();
        try (ServerSocketChannel server = ServerSocketChannel.open()
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                CloseWaitWatch watch = CloseWaitWatch.start(Duration.ZERO, INTERVAL, reports::add)) {
            SocketChannel client = SocketChannel.open(server.getLocalAddress());
            try (SocketChannel accepted = server.accept()) {
                InetSocketAddress local = (InetSocketAddress) accepted.getLocalAddress();
                client.close();
                CloseWaitReport r = await(reports, local, INTERVAL.toMillis() * 2 + 10_000);
                assertTrue(r != null, "no report for the JDK channel: " + reports);
                assertTrue(r.entry().isIpv6(), "JDK channels are AF_INET6 (v4-mapped)");
                assertEquals(InetAddress.getLoopbackAddress(), r.remote().getAddress());
                assertFalse(r.allocationSite().isPresent());
            }
        }
    }

    @Test
    void closeStopsTheDaemonThread() {
        CloseWaitWatch w = CloseWaitWatch.start(Duration.ofSeconds(1));
        assertTrue(w.isRunning());
        assertEquals(Duration.ofSeconds(1), w.interval());
        w.close();
        assertFalse(w.isRunning());
        w.close(); // idempotent
        assertTrue(Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("teardown-close-wait-watch")).allMatch(Thread::isDaemon));
    }

    private static boolean stackMentions(Throwable t, String method) {
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getMethodName().equals(method)) {
                return true;
            }
        }
        return false;
    }
}
