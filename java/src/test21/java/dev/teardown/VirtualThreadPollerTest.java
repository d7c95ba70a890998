package dev.teardown;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.teardown.posix.CarrierPoller;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The poller design virtual threads wait on (issue 21), run by CI once per design: the carrier pollers (virtual
 * threads polling edge-triggered registrations) and the platform poller threads ({@code -Ddev.teardown.poller=platform}).
 * Whichever it is, no readiness is lost: not in a long ping-pong where data arrives between a failed read and the park
 * (or, on the carrier pollers, where a read that follows a draining read waits before its first recv), nor when an
 * edge arrives while nobody waits, nor an EOF.
 */
@Timeout(60)
class VirtualThreadPollerTest {
    @Test
    void theDesignIsTheOneTheExecutionAskedFor() {
        String expected = System.getProperty("teardown.expected.poller");
        if (expected == null) {
            System.out.println("VirtualThreadPollerTest: no teardown.expected.poller given; design in use: "
                    + (CarrierPoller.ENABLED ? "carrier" : "platform"));
            return;
        }
        assertEquals(expected, CarrierPoller.ENABLED ? "carrier" : "platform");
    }

    /** Starts {@code body} on a virtual thread; the future completes with what it threw, or null. */
    private static CompletableFuture<Throwable> virtual(VirtualThreadParkingTest.ThrowingRunnable body) {
        return VirtualThreadParkingTest.onVirtualThread("poller-test", body, new AtomicReference<>());
    }

    private static void exchange(TcpSocket s, boolean first, int rounds) throws TcpException {
        ByteBuffer b = ByteBuffer.allocateDirect(1);
        for (int i = 0; i < rounds; i++) {
            if (first) {
                s.write(b.clear().put(0, (byte) i));
            }
            b.clear();
            // a lost wake-up shows as a timeout here, not as a hung test
            assertEquals(1, s.read(b, Duration.ofSeconds(10)), "round " + i);
            assertEquals((byte) i, b.get(0), "round " + i);
            if (!first) {
                s.write(b.flip());
            }
        }
    }

    @Test
    void aLongPingPongOnManyConnectionsLosesNoWakeUp() throws Exception {
        int pairs = 16;
        int rounds = 2_000;
        List<Net.Pair> open = new ArrayList<>();
        List<CompletableFuture<Throwable>> sides = new ArrayList<>();
        try {
            for (int i = 0; i < pairs; i++) {
                Net.Pair p = Net.Pair.open(Net.V4);
                open.add(p);
                p.client().setOption(TcpOption.TCP_NODELAY, true);
                p.server().setOption(TcpOption.TCP_NODELAY, true);
                sides.add(virtual(() -> exchange(p.client(), true, rounds)));
                sides.add(virtual(() -> exchange(p.server(), false, rounds)));
            }
            long t0 = System.nanoTime();
            for (CompletableFuture<Throwable> f : sides) {
                Throwable t = f.get(50, TimeUnit.SECONDS);
                if (t != null) {
                    throw new AssertionError(t);
                }
            }
            System.out.printf("VirtualThreadPollerTest: %d round trips on %d connections in %.0f ms (%s pollers)%n",
                    pairs * rounds, pairs, (System.nanoTime() - t0) / 1e6, CarrierPoller.ENABLED ? "carrier" : "platform");
        } finally {
            for (Net.Pair p : open) {
                p.close();
            }
        }
    }

    @Test
    void anEdgeWhileNobodyWaitsNeitherLosesDataNorSpins() throws Exception {
        try (Net.Pair p = Net.Pair.open(Net.V4)) {
            TcpSocket reader = p.server();
            ByteBuffer b = ByteBuffer.allocate(16);
            CompletableFuture<Throwable> f = virtual(() -> {
                // registered by a wait that times out: nothing arrived
                assertThrows(TimedOutException.class, () -> reader.read(b.clear(), Duration.ofMillis(50)));
                // data arrives while nobody waits (an edge with no waiter), and is read without waiting
                p.client().write(ByteBuffer.wrap(new byte[] {7}));
                Net.sleepMillis(50);
                assertEquals(1, reader.read(b.clear(), Duration.ofSeconds(5)));
                // the edge was consumed by that read, not by a wait: the next wait must still wait its full time
                long t0 = System.nanoTime();
                assertThrows(TimedOutException.class, () -> reader.read(b.clear(), Duration.ofMillis(200)));
                long waited = System.nanoTime() - t0;
                assertTrue(waited >= TimeUnit.MILLISECONDS.toNanos(190), "timed out after " + waited / 1_000_000 + " ms");
                // and data that comes while it is parked wakes it
                Thread.startVirtualThread(() -> {
                    Net.sleepMillis(100);
                    try {
                        p.client().write(ByteBuffer.wrap(new byte[] {8, 9}));
                    } catch (TcpException e) {
                        throw new IllegalStateException(e);
                    }
                });
                assertEquals(2, reader.read(b.clear(), Duration.ofSeconds(5)));
                assertEquals(8, b.get(0));
                // EOF after a read that drained the queue, and again after EOF: at once, never a wait
                p.client().shutdownOutput();
                assertEquals(-1, reader.read(b.clear(), Duration.ofSeconds(5)));
                assertEquals(-1, reader.read(b.clear(), Duration.ofSeconds(5)));
            });
            Throwable t = f.get(30, TimeUnit.SECONDS);
            if (t != null) {
                throw new AssertionError(t);
            }
        }
    }

    @Test
    void aCallWokenByACloseThrowsWithoutAStackTraceAndNamesTheCall() throws Exception {
        try (Net.Pair p = Net.Pair.open(Net.V4)) {
            AtomicReference<Thread> reader = new AtomicReference<>();
            CompletableFuture<Throwable> read = VirtualThreadParkingTest.onVirtualThread("reader",
                    () -> p.server().read(ByteBuffer.allocate(8)), reader);
            VirtualThreads.awaitParkedInTeardown(reader.get());
            p.server().close(CloseMode.RELEASE);
            Throwable e = read.get(5, TimeUnit.SECONDS);
            assertTrue(e instanceof SocketClosedException, "read threw " + e);
            assertEquals("read", ((SocketClosedException) e).call());
            assertTrue(e.getMessage().contains("closed by another thread"), e.getMessage());
            assertEquals(0, e.getStackTrace().length, "a wake-up by close fills no stack trace");
        }
    }
}
