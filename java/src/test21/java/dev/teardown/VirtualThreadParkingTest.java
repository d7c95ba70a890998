package dev.teardown;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.teardown.posix.Libc;
import dev.teardown.posix.Os;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * On virtual threads with 2 carriers: every wait parks (the carriers stay free for other virtual threads),
 * and a close from another thread wakes a parked read, write and accept; an interrupt wakes a parked connect
 * (it has no handle yet to close).
 */
@Timeout(60)
class VirtualThreadParkingTest {
    @BeforeAll
    static void twoCarriers() {
        assertEquals(2, VirtualThreads.carriers(), "the surefire execution runs these tests on 2 carriers");
    }

    /** Starts {@code body} on a virtual thread and returns a future of what it threw (or null). */
    static CompletableFuture<Throwable> onVirtualThread(String name, ThrowingRunnable body, AtomicReference<Thread> thread) {
        CompletableFuture<Throwable> f = new CompletableFuture<>();
        thread.set(Thread.ofVirtual().name(name).start(() -> {
            try {
                body.run();
                f.complete(null);
            } catch (Throwable t) {
                f.complete(t);
            }
        }));
        return f;
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** With {@code parked} virtual threads parked, a new virtual thread still runs at once on 2 carriers. */
    private static void assertCarriersFree(int parked) throws Exception {
        CountDownLatch ran = new CountDownLatch(1);
        long t0 = System.nanoTime();
        Thread.startVirtualThread(ran::countDown);
        assertTrue(ran.await(5, TimeUnit.SECONDS), "a new virtual thread did not run with " + parked + " parked in teardown");
        System.out.printf("VirtualThreadParkingTest: a new virtual thread ran %.2f ms after start with %d parked%n",
                (System.nanoTime() - t0) / 1e6, parked);
    }

    @Test
    @SuppressWarnings("try") // the listener is closed inside its try: that close is what the test is about
    void closeWakesAParkedReadWriteAndAccept() throws Exception {
        try (Net.Pair readPair = Net.Pair.open(Net.V4);
             Net.Pair writePair = Net.Pair.open(TcpListener.builder().option(TcpOption.SO_RCVBUF, 4096), Net.V4);
             TcpListener listener = TcpListener.bind(Net.anyPort(Net.V4))) {
            writePair.client().setOption(TcpOption.SO_SNDBUF, 4096);
            AtomicReference<Thread> reader = new AtomicReference<>();
            AtomicReference<Thread> writer = new AtomicReference<>();
            AtomicReference<Thread> acceptor = new AtomicReference<>();
            CompletableFuture<Throwable> read = onVirtualThread("reader", () -> readPair.server().read(ByteBuffer.allocate(64)), reader);
            CompletableFuture<Throwable> write = onVirtualThread("writer",
                    () -> writePair.client().write(ByteBuffer.allocate(8 << 20)), writer);
            CompletableFuture<Throwable> accept = onVirtualThread("acceptor", listener::accept, acceptor);
            VirtualThreads.awaitParkedInTeardown(reader.get());
            VirtualThreads.awaitParkedInTeardown(writer.get());
            VirtualThreads.awaitParkedInTeardown(acceptor.get());
            assertCarriersFree(3);

            long t0 = System.nanoTime();
            readPair.server().close(CloseMode.RELEASE);
            writePair.client().close(CloseMode.ABORT);
            listener.close();
            assertInstanceOf(SocketClosedException.class, read.get(5, TimeUnit.SECONDS), "read");
            assertInstanceOf(SocketClosedException.class, write.get(5, TimeUnit.SECONDS), "write");
            assertInstanceOf(SocketClosedException.class, accept.get(5, TimeUnit.SECONDS), "accept");
            System.out.printf("VirtualThreadParkingTest: read, write and accept woken by close in %.2f ms%n",
                    (System.nanoTime() - t0) / 1e6);
            // The read's socket: RELEASE of the last reference sent FIN, which the peer sees.
            assertEquals(-1, readPair.client().read(ByteBuffer.allocate(8), Duration.ofSeconds(5)));
        }
    }

    @Test
    void anInterruptWakesAParkedConnectAndTheDescriptorIsClosed() throws Exception {
        // A listener that never accepts, its accept queue full: the kernel drops further SYNs, so connect waits.
        try (TcpListener full = TcpListener.bind(Net.anyPort(Net.V4), 1)) {
            List<TcpSocket> queued = new ArrayList<>();
            try {
                while (queued.size() < 16) {
                    try {
                        queued.add(TcpSocket.connect(full.localAddress(), Duration.ofMillis(300)));
                    } catch (TimedOutException e) {
                        break;
                    }
                }
                int before = Net.baselineOpenFds();
                AtomicReference<Thread> connector = new AtomicReference<>();
                CompletableFuture<Throwable> connect = onVirtualThread("connector",
                        () -> TcpSocket.connect(full.localAddress()), connector);
                VirtualThreads.awaitParkedInTeardown(connector.get());
                assertCarriersFree(1);
                connector.get().interrupt();
                Throwable t = connect.get(5, TimeUnit.SECONDS);
                assertInstanceOf(TcpException.class, t, "connect");
                assertTrue(t.getMessage().contains("interrupted"), t.getMessage());
                assertEquals(before, Net.baselineOpenFds(), "the abandoned attempt's descriptor is closed");
            } finally {
                queued.forEach(s -> s.close(CloseMode.ABORT));
            }
        }
    }

    @Test
    void waitsLeaveNoO_NONBLOCKOnTheConnectionsOpenFileDescription() throws Exception {
        try (Net.Pair p = Net.Pair.open(Net.V4)) {
            AtomicReference<Thread> reader = new AtomicReference<>();
            CompletableFuture<Throwable> read = onVirtualThread("reader", () -> p.server().read(ByteBuffer.allocate(8)), reader);
            VirtualThreads.awaitParkedInTeardown(reader.get());
            p.client().write(ByteBuffer.wrap(new byte[] {1}));
            assertEquals(null, read.get(5, TimeUnit.SECONDS));
            for (TcpSocket s : new TcpSocket[] {p.client(), p.server()}) {
                int fl = Libc.fcntl(s.fd(), Os.F_GETFL, 0);
                assertFalse((fl & Os.O_NONBLOCK) != 0, "O_NONBLOCK set on " + s + ": flags " + Integer.toHexString(fl));
            }
        }
    }

    @Test
    void gracefulAndLingerParkTheirWait() throws Exception {
        try (Net.Pair g = Net.Pair.open(Net.V4); Net.Pair l = Net.Pair.open(Net.V4)) {
            AtomicReference<Thread> closer = new AtomicReference<>();
            CompletableFuture<CloseOutcome> outcome = new CompletableFuture<>();
            closer.set(Thread.ofVirtual().start(() -> outcome.complete(g.server().close(CloseMode.graceful(Duration.ofSeconds(10))))));
            VirtualThreads.awaitParkedInTeardown(closer.get());
            assertCarriersFree(1);
            g.client().write(ByteBuffer.wrap(new byte[100]));
            g.client().close(CloseMode.RELEASE); // the peer's FIN ends the drain
            CloseOutcome o = outcome.get(5, TimeUnit.SECONDS);
            assertEquals(CloseOutcome.Sent.FIN, o.sent(), o.toString());
            assertEquals(100, o.bytesDrained(), o.toString());

            CompletableFuture<CloseOutcome> lf = new CompletableFuture<>();
            l.server().write(ByteBuffer.wrap(new byte[1000]));
            Thread.ofVirtual().start(() -> lf.complete(l.server().close(CloseMode.linger(Duration.ofSeconds(5)))));
            CloseOutcome lo = lf.get(5, TimeUnit.SECONDS);
            assertEquals(CloseOutcome.Sent.FIN, lo.sent(), lo.toString());
            assertTrue(lo.detail().contains("acknowledged"), lo.toString());
        }
    }
}
