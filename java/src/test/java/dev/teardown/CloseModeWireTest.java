package dev.teardown;

import static dev.teardown.Net.assertNoEofWithin;
import static dev.teardown.Net.assertState;
import static dev.teardown.Net.dump;
import static dev.teardown.Net.finsFrom;
import static dev.teardown.Net.ms;
import static dev.teardown.Net.rstsFrom;
import static dev.teardown.Net.time;
import static dev.teardown.Net.wallSeconds;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.teardown.CloseOutcome.Sent;
import dev.teardown.Net.Bg;
import dev.teardown.Net.Pair;
import dev.teardown.testing.Capture;
import dev.teardown.testing.Capture.Segment;
import dev.teardown.testing.Kernel;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each close mode against a real loopback peer, checked on the wire by tcpdump and in the kernel's
 * table by ss, not only by the library's own {@link CloseOutcome}.
 */
@Timeout(30)
class CloseModeWireTest {

    static java.util.stream.Stream<InetAddress> families() {
        return Net.families();
    }

    // ---- RELEASE ----

    @ParameterizedTest
    @MethodSource("families")
    void releaseWhileDupLivesSendsNothingThenLastCloseSendsFin(InetAddress host) throws Exception {
        try (Pair p = Pair.open(host)) {
            int cport = p.clientPort();
            int sport = p.serverPort();
            TcpSocket dup = p.client().dup();
            assertEquals(2, p.client().references());
            try (Capture cap = Capture.start(sport)) {
                CloseOutcome o = p.client().close(CloseMode.RELEASE);
                assertEquals(Sent.NOTHING, o.sent(), o.toString());
                assertEquals(1, o.referencesLeft(), o.toString());
                assertFalse(o.rstSent(), o.toString());

                assertNoEofWithin(p.server(), 300);
                assertEquals("ESTAB", Kernel.state(cport, sport), "client side after RELEASE with a dup");
                assertEquals("ESTAB", Kernel.state(sport, cport), "server side after RELEASE with a dup");

                double lastCloseAt = wallSeconds();
                CloseOutcome last = dup.close(CloseMode.RELEASE);
                assertEquals(Sent.FIN, last.sent(), last.toString());
                assertEquals(0, last.referencesLeft(), last.toString());
                assertEquals(-1, p.server().read(ByteBuffer.allocate(16), ms(2000)), "the peer reads EOF");
                assertState("FIN-WAIT-2", cport, sport);
                assertState("CLOSE-WAIT", sport, cport);

                List<Segment> segs = cap.stop();
                List<Segment> fins = finsFrom(segs, cport);
                assertEquals(1, fins.size(), "one FIN from the client" + dump(segs));
                assertTrue(time(fins.get(0)) >= lastCloseAt - 0.005,
                        "the FIN left only when the dup (last reference) was closed" + dump(segs));
                assertTrue(rstsFrom(segs, cport).isEmpty(), "no RST from the client" + dump(segs));
            }
        }
    }

    @ParameterizedTest
    @MethodSource("families")
    void clientReleaseWhileServerHoldsItsEnd(InetAddress host) throws Exception {
        try (Pair p = Pair.open(host)) {
            int cport = p.clientPort();
            int sport = p.serverPort();
            CloseOutcome o = p.client().close(CloseMode.RELEASE);
            assertEquals(Sent.FIN, o.sent(), o.toString());
            assertEquals(0, o.referencesLeft());
            assertState("FIN-WAIT-2", cport, sport);
            assertState("CLOSE-WAIT", sport, cport);
            assertEquals(-1, p.server().read(ByteBuffer.allocate(8), ms(2000)));
            // both ends stay where they are while the server holds on
            assertEquals("FIN-WAIT-2", Kernel.state(cport, sport));
            assertEquals("CLOSE-WAIT", Kernel.state(sport, cport));
        }
    }

    // ---- SHUTDOWN ----

    @ParameterizedTest
    @MethodSource("families")
    void shutdownWhileDupLivesSendsFinAtOnce(InetAddress host) throws Exception {
        try (Pair p = Pair.open(host)) {
            int cport = p.clientPort();
            int sport = p.serverPort();
            TcpSocket dup = p.client().dup();
            try (Capture cap = Capture.start(sport)) {
                double closeAt = wallSeconds();
                long t0 = System.nanoTime();
                CloseOutcome o = p.client().close(CloseMode.SHUTDOWN);
                assertEquals(Sent.FIN, o.sent(), o.toString());
                assertEquals(1, o.referencesLeft(), o.toString());

                assertEquals(-1, p.server().read(ByteBuffer.allocate(16), ms(2000)), "the peer reads EOF");
                long eofMillis = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(eofMillis < 1000, "EOF at once, not after " + eofMillis + " ms");
                assertState("FIN-WAIT-2", cport, sport);
                assertState("CLOSE-WAIT", sport, cport);

                // the shutdown ended the connection for the dup too
                assertEquals(-1, dup.read(ByteBuffer.allocate(8), ms(1000)), "the dup's input is shut down");
                TcpException e = assertThrows(TcpException.class, () -> dup.write(ByteBuffer.wrap(new byte[] {1})));
                assertEquals("EPIPE", e.errnoName(), e.toString());

                CloseOutcome last = dup.close(CloseMode.RELEASE);
                assertEquals(Sent.NOTHING, last.sent(), "the FIN went out with the shutdown: " + last);

                List<Segment> segs = cap.stop();
                List<Segment> fins = finsFrom(segs, cport);
                assertEquals(1, fins.size(), "exactly one FIN from the client" + dump(segs));
                assertTrue(time(fins.get(0)) >= closeAt - 0.005, dump(segs));
                assertTrue(rstsFrom(segs, cport).isEmpty(), "no RST from the client" + dump(segs));
            }
        }
    }

    // ---- ABORT ----

    @ParameterizedTest
    @MethodSource("families")
    void abortSendsRstWithoutFinAndLeavesNoTimeWait(InetAddress host) throws Exception {
        try (Pair p = Pair.open(host)) {
            int cport = p.clientPort();
            int sport = p.serverPort();
            p.client().write(ByteBuffer.wrap("before the reset".getBytes()));
            assertEquals(16, p.server().read(ByteBuffer.allocate(64), ms(2000)));
            try (Capture cap = Capture.start(sport)) {
                CloseOutcome o = p.client().close(CloseMode.ABORT);
                assertEquals(Sent.RST, o.sent(), o.toString());
                assertTrue(o.rstSent());
                assertEquals(0, o.referencesLeft());

                assertThrows(ConnectionResetException.class, () -> p.server().read(ByteBuffer.allocate(16), ms(2000)));
                assertState("GONE", cport, sport);
                assertFalse(Kernel.states(cport, sport).contains("TIME-WAIT"));
                assertFalse(Kernel.states(sport, cport).contains("TIME-WAIT"));
                p.server().close(CloseMode.RELEASE);
                assertState("GONE", sport, cport);
                assertState("GONE", cport, sport);

                List<Segment> segs = cap.stop();
                List<Segment> rsts = rstsFrom(segs, cport);
                assertFalse(rsts.isEmpty(), "an RST from the client" + dump(segs));
                assertTrue(finsFrom(segs, cport).isEmpty(), "no FIN from the client, before or after the RST" + dump(segs));
            }
        }
    }

    // ---- graceful ----

    @Test
    void gracefulDeliversEverythingWhileThePeerIsStillSending() throws Throwable {
        final int toPeer = 4 << 20;
        final int fromPeer = 3 << 20;
        byte[] data = new byte[toPeer];
        new Random(42).nextBytes(data);
        CRC32 want = new CRC32();
        want.update(data);
        try (Pair p = Pair.open(Net.V4)) {
            int sport = p.serverPort();
            TcpSocket closer = p.server();
            TcpSocket peer = p.client();
            // a small send buffer keeps the peer's writer blocked until the closer drains it
            peer.setOption(TcpOption.SO_SNDBUF, 32 * 1024);
            try (Capture cap = Capture.start(sport)) {
                Bg<long[]> reader = Net.background("peer-reader", () -> {
                    CRC32 crc = new CRC32();
                    ByteBuffer b = ByteBuffer.allocate(64 * 1024);
                    long n = 0;
                    for (;;) {
                        b.clear();
                        int r = peer.read(b, Duration.ofSeconds(10));
                        if (r < 0) {
                            return new long[] {n, crc.getValue()};
                        }
                        crc.update(b.array(), 0, r);
                        n += r;
                    }
                });
                Bg<Integer> writer = Net.background("peer-writer", () -> {
                    ByteBuffer chunk = ByteBuffer.allocateDirect(32 * 1024);
                    int sent = 0;
                    while (sent < fromPeer) {
                        chunk.clear().limit(Math.min(chunk.capacity(), fromPeer - sent));
                        sent += peer.write(chunk);
                    }
                    peer.shutdownOutput();
                    return sent;
                });
                assertEquals(toPeer, closer.write(ByteBuffer.wrap(data)));
                assertFalse(writer.isDone(), "the peer must still be sending when the close starts");

                CloseOutcome o = closer.close(CloseMode.graceful(Duration.ofSeconds(10), 16 << 20));

                assertEquals(fromPeer, writer.get(10_000));
                long[] got = reader.get(10_000);
                assertEquals(toPeer, got[0], "every byte the closer wrote reached the peer");
                assertEquals(want.getValue(), got[1], "and unchanged (CRC32)");
                assertEquals(Sent.FIN, o.sent(), o.toString());
                assertFalse(o.rstSent(), o.toString());
                assertFalse(o.deadlineExpired(), o.toString());
                assertEquals(fromPeer, o.bytesDrained(), "drained exactly what the peer sent: " + o);
                peer.close(CloseMode.RELEASE);

                List<Segment> segs = cap.stop();
                assertFalse(finsFrom(segs, sport).isEmpty(), "a FIN from the closer (" + segs.size() + " segments captured)");
                assertTrue(segs.stream().noneMatch(Segment::rst), "no RST at all" + dump(rstOnly(segs)));
            }
        }
    }

    @Test
    void gracefulAgainstAPeerThatNeverClosesResetsAtTheDeadline() throws Exception {
        try (Pair p = Pair.open(Net.V4)) {
            int cport = p.clientPort();
            int sport = p.serverPort();
            try (Capture cap = Capture.start(sport)) {
                Duration t = ms(600);
                long t0 = System.nanoTime();
                CloseOutcome o = p.server().close(CloseMode.graceful(t));
                long took = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(took >= 550 && took <= 600 + 1500, "close returned after " + took + " ms, deadline 600 ms");
                assertTrue(o.deadlineExpired(), o.toString());
                assertTrue(o.rstSent(), o.toString());
                assertEquals(Sent.FIN_THEN_RST, o.sent(), o.toString());
                assertState("GONE", sport, cport);

                List<Segment> segs = cap.stop();
                List<Segment> fins = finsFrom(segs, sport);
                List<Segment> rsts = rstsFrom(segs, sport);
                assertFalse(fins.isEmpty(), "the FIN of shutdown(SHUT_WR)" + dump(segs));
                assertFalse(rsts.isEmpty(), "the RST at the deadline" + dump(segs));
                double gap = time(rsts.get(0)) - time(fins.get(0));
                assertTrue(gap >= 0.5 && gap < 2.5, "the RST came " + gap + " s after the FIN" + dump(segs));
            }
        }
    }

    @Test
    void gracefulResetsWhenThePeerSendsMoreThanTheDrainLimit() throws Throwable {
        try (Pair p = Pair.open(Net.V4)) {
            int sport = p.serverPort();
            try (Capture cap = Capture.start(sport)) {
                Bg<Object> flood = Net.background("peer-flood", () -> {
                    ByteBuffer b = ByteBuffer.allocateDirect(16 * 1024);
                    try {
                        for (;;) {
                            b.clear();
                            p.client().write(b);
                        }
                    } catch (TcpException expected) {
                        return expected;
                    }
                });
                long t0 = System.nanoTime();
                CloseOutcome o = p.server().close(CloseMode.graceful(Duration.ofSeconds(10), 64 * 1024));
                long took = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(o.drainLimitReached(), o.toString());
                assertFalse(o.deadlineExpired(), o.toString());
                assertTrue(o.rstSent(), o.toString());
                assertEquals(64 * 1024, o.bytesDrained(), "exactly the limit is drained (one byte more is only peeked): " + o);
                assertTrue(took < 5000, "the limit, not the deadline, ended the close: " + took + " ms");
                assertInstanceOf(TcpException.class, flood.get(5000), "the peer's writes fail after the RST");
                List<Segment> segs = cap.stop();
                assertFalse(rstsFrom(segs, sport).isEmpty(), "an RST from the closer" + dump(rstOnly(segs)));
            }
        }
    }

    /**
     * A drain limit of Long.MAX_VALUE means "no limit": the close must neither overflow its arithmetic
     * nor read more than its buffer holds, and must drain every byte.
     */
    @Test
    void gracefulWithoutADrainLimitDrainsEverything() throws Throwable {
        final int fromPeer = 2 << 20;
        // a large receive buffer, so that far more than one 64 KiB scratch buffer is queued at close
        TcpListener.Builder big = TcpListener.builder().option(TcpOption.SO_RCVBUF, 1 << 20);
        try (Pair p = Pair.open(big, Net.V4)) {
            Bg<Integer> writer = Net.background("peer-writer", () -> {
                ByteBuffer b = ByteBuffer.allocate(fromPeer);
                int n = p.client().write(b);
                p.client().shutdownOutput();
                return n;
            });
            // let the closer's receive queue fill well beyond one 64 KiB scratch buffer
            long end = System.nanoTime() + 2_000_000_000L;
            while (System.nanoTime() < end && recvQ(p.serverPort(), p.clientPort()) < 512 * 1024) {
                Net.sleepMillis(10);
            }
            assertTrue(recvQ(p.serverPort(), p.clientPort()) >= 512 * 1024, "ss: at least 512 KiB queued unread");
            CloseOutcome o = p.server().close(CloseMode.graceful(Duration.ofSeconds(10), Long.MAX_VALUE));
            assertEquals(fromPeer, writer.get(10_000));
            assertEquals(Sent.FIN, o.sent(), o.toString());
            assertEquals(fromPeer, o.bytesDrained(), o.toString());
            assertFalse(o.drainLimitReached(), o.toString());
        }
    }

    /** With a peer that keeps sending forever and no byte limit, the deadline must still hold. */
    @Test
    void gracefulDeadlineHoldsAgainstAnEndlessSender() throws Throwable {
        try (Pair p = Pair.open(Net.V4)) {
            Bg<Object> flood = Net.background("peer-flood", () -> {
                ByteBuffer b = ByteBuffer.allocateDirect(64 * 1024);
                try {
                    for (;;) {
                        b.clear();
                        p.client().write(b);
                    }
                } catch (TcpException expected) {
                    return expected;
                }
            });
            long t0 = System.nanoTime();
            CloseOutcome o = p.server().close(CloseMode.graceful(ms(500), Long.MAX_VALUE));
            long took = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(took >= 450 && took <= 500 + 1500, "close returned after " + took + " ms, deadline 500 ms");
            assertTrue(o.deadlineExpired(), o.toString());
            assertTrue(o.rstSent(), o.toString());
            flood.get(5000);
        }
    }

    // ---- linger ----

    @Test
    void lingerAgainstAPeerThatDoesNotReadResetsAfterTheTimeout() throws Throwable {
        TcpListener.Builder small = TcpListener.builder().option(TcpOption.SO_RCVBUF, 4096);
        try (Pair p = Pair.open(small, Net.V4)) {
            int cport = p.clientPort();
            int sport = p.serverPort();
            TcpSocket closer = p.client();
            closer.setOption(TcpOption.SO_SNDBUF, 4096);
            try (Capture cap = Capture.start(sport)) {
                Bg<Integer> writer = Net.background("blocked-writer", () -> closer.write(ByteBuffer.allocateDirect(4 << 20)));
                Net.awaitBlockedInPoll(writer.thread);
                awaitStuckSendQueue(cport, sport);

                Duration t = ms(700);
                long t0 = System.nanoTime();
                CloseOutcome o = closer.close(CloseMode.linger(t));
                long took = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(took >= 650 && took <= 700 + 1500, "close returned after " + took + " ms, linger 700 ms");
                assertTrue(o.deadlineExpired(), o.toString());
                assertTrue(o.rstSent(), o.toString());
                assertEquals(Sent.RST, o.sent(), o.toString());
                assertInstanceOf(SocketClosedException.class, writer.failure(2000), "the blocked write was woken");
                assertState("GONE", cport, sport);

                List<Segment> segs = cap.stop();
                assertFalse(rstsFrom(segs, cport).isEmpty(), "an RST from the closer" + dump(rstOnly(segs)));
                assertTrue(finsFrom(segs, cport).isEmpty(), "no FIN: the data never left" + dump(rstOnly(segs)));
            }
        }
    }

    @ParameterizedTest
    @MethodSource("families")
    void lingerWithAcknowledgedDataReturnsQuicklyWithFin(InetAddress host) throws Exception {
        try (Pair p = Pair.open(host)) {
            int cport = p.clientPort();
            int sport = p.serverPort();
            p.client().write(ByteBuffer.allocate(10_000));
            ByteBuffer b = ByteBuffer.allocate(10_000);
            while (b.hasRemaining()) {
                p.server().read(b, ms(2000));
            }
            try (Capture cap = Capture.start(sport)) {
                CloseOutcome o = p.client().close(CloseMode.linger(Duration.ofSeconds(5)));
                assertTrue(o.elapsed().toMillis() < 1000, o.toString());
                assertEquals(Sent.FIN, o.sent(), o.toString());
                assertFalse(o.deadlineExpired(), o.toString());
                assertEquals(-1, p.server().read(ByteBuffer.allocate(8), ms(2000)));
                assertState("FIN-WAIT-2", cport, sport);

                List<Segment> segs = cap.stop();
                assertEquals(1, finsFrom(segs, cport).size(), "a FIN from the closer" + dump(segs));
                assertTrue(rstsFrom(segs, cport).isEmpty(), "no RST" + dump(segs));
            }
        }
    }

    @Test
    void lingerAsyncDoesNotBlockTheCaller() throws Throwable {
        TcpListener.Builder small = TcpListener.builder().option(TcpOption.SO_RCVBUF, 4096);
        try (Pair p = Pair.open(small, Net.V4)) {
            int cport = p.clientPort();
            int sport = p.serverPort();
            p.client().setOption(TcpOption.SO_SNDBUF, 4096);
            Bg<Integer> writer = Net.background("blocked-writer", () -> p.client().write(ByteBuffer.allocateDirect(4 << 20)));
            Net.awaitBlockedInPoll(writer.thread);
            awaitStuckSendQueue(cport, sport);
            long t0 = System.nanoTime();
            var f = p.client().closeAsync(CloseMode.linger(ms(1000)));
            long returned = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(returned < 400, "closeAsync returned after " + returned + " ms; the linger takes 1000 ms");
            assertFalse(p.client().isOpen(), "closed to new calls at once");
            CloseOutcome o = f.get(5, java.util.concurrent.TimeUnit.SECONDS);
            assertTrue(o.deadlineExpired() && o.rstSent(), o.toString());
            assertInstanceOf(SocketClosedException.class, writer.failure(2000));
            assertState("GONE", cport, sport);
        }
    }

    // ---- helpers ----

    private static List<Segment> rstOnly(List<Segment> segs) {
        return segs.stream().filter(Segment::rst).collect(java.util.stream.Collectors.toList());
    }

    private static int recvQ(int localPort, int peerPort) {
        return Kernel.ss().stream().filter(r -> r.localPort() == localPort && r.peerPort() == peerPort)
                .mapToInt(Kernel.SsRow::recvQ).findFirst().orElse(-1);
    }

    private static int sendQ(int localPort, int peerPort) {
        return Kernel.ss().stream().filter(r -> r.localPort() == localPort && r.peerPort() == peerPort)
                .mapToInt(Kernel.SsRow::sendQ).findFirst().orElse(-1);
    }

    /**
     * Waits until ss shows unacknowledged data queued on our side while the peer's receive queue has
     * stopped growing: the send queue is full and stuck behind a zero window.
     */
    static void awaitStuckSendQueue(int cport, int sport) {
        long end = System.nanoTime() + 5_000_000_000L;
        int lastPeer = -2;
        while (System.nanoTime() < end) {
            int ours = sendQ(cport, sport);
            int peers = recvQ(sport, cport);
            if (ours > 0 && peers > 0 && peers == lastPeer) {
                return;
            }
            lastPeer = peers;
            Net.sleepMillis(100);
        }
        throw new AssertionError("the send queue never filled: sendQ " + sendQ(cport, sport) + ", peer recvQ "
                + recvQ(sport, cport));
    }
}
