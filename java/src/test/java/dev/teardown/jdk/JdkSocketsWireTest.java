package dev.teardown.jdk;

import static dev.teardown.testing.WireChecks.dump;
import static dev.teardown.testing.WireChecks.from;
import static dev.teardown.testing.WireChecks.readAll;
import static dev.teardown.testing.WireChecks.rsts;
import static dev.teardown.testing.WireChecks.time;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.teardown.CloseMode;
import dev.teardown.CloseOutcome;
import dev.teardown.CloseOutcome.Sent;
import dev.teardown.TcpInfo;
import dev.teardown.jdk.JdkConn.Kind;
import dev.teardown.testing.Capture;
import dev.teardown.testing.Capture.Segment;
import dev.teardown.testing.NetLab;
import dev.teardown.testing.WireChecks;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every close mode of {@link JdkSockets} on a blocking SocketChannel, a non-blocking one served by a Selector
 * (closed from the selector's thread with closeAsync) and a java.net.Socket, across two private network
 * namespaces joined by a veth pair: tcpdump on the closer's link and ss in its namespace are the observers.
 * The same class runs with and without {@code --add-opens java.base/sun.nio.ch} (two surefire executions):
 * the descriptor-dependent counts must be filled either way.
 */
@Timeout(60)
class JdkSocketsWireTest {
    private static NetLab lab;

    @BeforeAll
    static void lab() throws Exception {
        lab = NetLab.create();
        System.out.println("JdkSocketsWireTest: descriptor through " + (TcpInfo.canReadJdkChannels()
                ? "--add-opens (JdkChannels)" : "its addresses (no --add-opens)"));
    }

    @AfterAll
    static void closeLab() {
        if (lab != null) {
            lab.close();
        }
    }

    private Capture capture(JdkConn c) throws IOException {
        return Capture.start(lab.a().name(), lab.linkA(), c.serverPort);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void abortPutsOnlyRstOnTheWireAndReportsWhatItDiscarded(Kind kind) throws Exception {
        try (JdkConn c = new JdkConn(lab, kind, 0, 0)) {
            c.peer.write(ByteBuffer.wrap(new byte[1000]));
            awaitRecvQ(c, 1000);
            c.register();
            try (Capture cap = capture(c)) {
                CloseOutcome o = c.close(CloseMode.ABORT);
                assertFalse(c.closerIsOpen());
                assertEquals(Sent.RST, o.sent(), o.toString());
                assertEquals(1000, o.unreadBytesDiscarded(), "FIONREAD read through the descriptor: " + o);
                assertEquals(0, o.unsentBytesDiscarded(), "SIOCOUTQ: nothing of ours was unacknowledged: " + o);
                assertThrows(IOException.class, () -> readAll(c.peer), "the peer sees the reset");
                awaitGone(c);
                List<Segment> segs = cap.stop();
                assertFalse(from(segs, c.serverPort, true).isEmpty(), "an RST from the closer" + dump(segs));
                assertTrue(from(segs, c.serverPort, false).isEmpty(), "no FIN from the closer" + dump(segs));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void shutdownSendsFinAtOnce(Kind kind) throws Exception {
        try (JdkConn c = new JdkConn(lab, kind, 0, 0)) {
            c.register();
            try (Capture cap = capture(c)) {
                CloseOutcome o = c.close(CloseMode.SHUTDOWN);
                long t0 = System.nanoTime();
                assertEquals(-1, c.peer.read(ByteBuffer.allocate(16)), "the peer reads EOF");
                assertTrue(System.nanoTime() - t0 < 1_000_000_000L, "EOF at once");
                assertEquals(Sent.FIN, o.sent(), o.toString());
                assertEquals("CLOSE-WAIT", lab.b().state(c.peerPort, c.serverPort));
                List<Segment> segs = cap.stop();
                assertEquals(1, finsFrom(segs, c.serverPort).size(), "one FIN from the closer" + dump(segs));
                assertTrue(from(segs, c.serverPort, true).isEmpty(), "no RST" + dump(segs));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void releaseWithUnreadInputSendsRstAndSaysWhy(Kind kind) throws Exception {
        try (JdkConn c = new JdkConn(lab, kind, 0, 0)) {
            c.peer.write(ByteBuffer.wrap(new byte[100]));
            awaitRecvQ(c, 100);
            c.register();
            try (Capture cap = capture(c)) {
                CloseOutcome o = c.close(CloseMode.RELEASE);
                assertTrue(o.rstSent(), o.toString());
                assertEquals(100, o.unreadBytesDiscarded(), o.toString());
                assertTrue(o.detail().contains("100 unread bytes"), o.detail());
                List<Segment> segs = cap.stop();
                assertFalse(from(segs, c.serverPort, true).isEmpty(), "an RST from the closer" + dump(segs));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void gracefulDeliversEveryByteToAPeerThatIsStillSending(Kind kind) throws Exception {
        final int toPeer = 4 << 20;
        final int fromPeer = 3 << 20;
        byte[] data = new byte[toPeer];
        new Random(42).nextBytes(data);
        CRC32 want = new CRC32();
        want.update(data);
        try (JdkConn c = new JdkConn(lab, kind, 0, 32 * 1024)) {
            CompletableFuture<long[]> reader = CompletableFuture.supplyAsync(() -> {
                try {
                    CRC32 crc = new CRC32();
                    ByteBuffer b = ByteBuffer.allocate(64 * 1024);
                    long n = 0;
                    for (int r; (r = c.peer.read(b.clear())) >= 0; n += r) {
                        crc.update(b.array(), 0, r);
                    }
                    return new long[] {n, crc.getValue()};
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            c.write(ByteBuffer.wrap(data));
            c.register();
            try (Capture cap = capture(c)) {
                CompletableFuture<Integer> writer = CompletableFuture.supplyAsync(() -> {
                    try {
                        ByteBuffer chunk = ByteBuffer.allocate(32 * 1024);
                        int sent = 0;
                        while (sent < fromPeer) {
                            chunk.clear().limit(Math.min(chunk.capacity(), fromPeer - sent));
                            sent += c.peer.write(chunk);
                        }
                        c.peer.shutdownOutput();
                        return sent;
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                });
                Thread.sleep(100);
                assertFalse(writer.isDone(), "the peer must still be sending when the close starts");
                CloseOutcome o = c.close(CloseMode.graceful(Duration.ofSeconds(20), 16 << 20));
                assertEquals(fromPeer, writer.get(20, TimeUnit.SECONDS));
                long[] got = reader.get(20, TimeUnit.SECONDS);
                assertEquals(toPeer, got[0], "every byte the closer wrote reached the peer");
                assertEquals(want.getValue(), got[1], "unchanged (CRC32)");
                assertEquals(Sent.FIN, o.sent(), o.toString());
                assertEquals(fromPeer, o.bytesDrained(), o.toString());
                if (kind == Kind.SELECTOR_CHANNEL) {
                    assertTrue(c.returnedMillis >= 0 && c.returnedMillis < 200,
                            "closeAsync returned on the selector's thread after " + c.returnedMillis + " ms");
                }
                List<Segment> segs = cap.stop();
                assertFalse(finsFrom(segs, c.serverPort).isEmpty(), "a FIN from the closer");
                assertTrue(segs.stream().noneMatch(Segment::rst), "no RST at all" + dump(rsts(segs)));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void gracefulFallsBackToRstAtItsDeadline(Kind kind) throws Exception {
        try (JdkConn c = new JdkConn(lab, kind, 0, 0)) {
            c.register();
            try (Capture cap = capture(c)) {
                long t0 = System.nanoTime();
                CloseOutcome o = c.close(CloseMode.graceful(Duration.ofMillis(600)));
                long took = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(took >= 550 && took <= 600 + 1500, "returned after " + took + " ms, deadline 600 ms");
                assertTrue(o.deadlineExpired(), o.toString());
                assertEquals(Sent.FIN_THEN_RST, o.sent(), o.toString());
                assertEquals(0, o.unreadBytesDiscarded(), o.toString());
                assertEquals(0, o.unsentBytesDiscarded(), o.toString());
                if (kind == Kind.SELECTOR_CHANNEL) {
                    assertTrue(c.returnedMillis >= 0 && c.returnedMillis < 200, "closeAsync took " + c.returnedMillis + " ms");
                }
                awaitGone(c);
                List<Segment> segs = cap.stop();
                List<Segment> fins = finsFrom(segs, c.serverPort);
                List<Segment> rsts = from(segs, c.serverPort, true);
                assertFalse(fins.isEmpty(), "the FIN of shutdownOutput" + dump(segs));
                assertFalse(rsts.isEmpty(), "the RST at the deadline" + dump(segs));
                double gap = time(rsts.get(0)) - time(fins.get(0));
                assertTrue(gap >= 0.5 && gap < 2.5, "the RST came " + gap + " s after the FIN" + dump(segs));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void lingerWithAcknowledgedDataSendsFin(Kind kind) throws Exception {
        try (JdkConn c = new JdkConn(lab, kind, 0, 0)) {
            c.write(ByteBuffer.allocate(10_000));
            c.register();
            try (Capture cap = capture(c)) {
                CloseOutcome o = c.close(CloseMode.linger(Duration.ofSeconds(5)));
                assertEquals(Sent.FIN, o.sent(), o.toString());
                assertFalse(o.deadlineExpired(), o.toString());
                assertTrue(o.elapsed().toMillis() < 2000, o.toString());
                assertEquals(10_000, readAll(c.peer), "the peer reads everything, then EOF");
                List<Segment> segs = cap.stop();
                assertEquals(1, finsFrom(segs, c.serverPort).size(), "a FIN" + dump(segs));
                assertTrue(from(segs, c.serverPort, true).isEmpty(), "no RST" + dump(segs));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void lingerAgainstAPeerThatDoesNotReadResetsAtTheDeadline(Kind kind) throws Exception {
        try (JdkConn c = new JdkConn(lab, kind, 4096, 0)) {
            // the closer's output fills the peer's window and stays unacknowledged
            if (c.socket != null) {
                c.socket.setSendBufferSize(16 * 1024);
            } else {
                c.channel.setOption(java.net.StandardSocketOptions.SO_SNDBUF, 16 * 1024);
            }
            c.register();
            if (c.channel != null && !c.channel.isBlocking()) {
                ByteBuffer b = ByteBuffer.allocate(256 * 1024);
                long end = System.nanoTime() + 2_000_000_000L;
                while (System.nanoTime() < end) {
                    if (c.channel.write(b.clear()) == 0) {
                        Thread.sleep(20);
                    }
                }
            } else {
                CompletableFuture.runAsync(() -> {
                    try {
                        c.write(ByteBuffer.allocate(4 << 20)); // blocks: the peer does not read
                    } catch (IOException expected) {
                        // closed under it
                    }
                });
                Thread.sleep(1000);
            }
            try (Capture cap = capture(c)) {
                long t0 = System.nanoTime();
                CloseOutcome o = c.close(CloseMode.linger(Duration.ofMillis(700)));
                long took = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(took >= 650 && took <= 700 + 1500, "returned after " + took + " ms, linger 700 ms");
                assertTrue(o.deadlineExpired(), o.toString());
                assertEquals(Sent.RST, o.sent(), o.toString());
                assertTrue(o.unsentBytesDiscarded() > 0, "SIOCOUTQ saw our unacknowledged output: " + o);
                awaitGone(c);
                List<Segment> segs = cap.stop();
                assertFalse(from(segs, c.serverPort, true).isEmpty(), "an RST" + dump(rsts(segs)));
                assertTrue(finsFrom(segs, c.serverPort).isEmpty(), "no FIN: the data never left" + dump(rsts(segs)));
            }
        }
    }

    // ---- helpers (the shared ones are in WireChecks) ----

    private static void awaitRecvQ(JdkConn c, int bytes) throws InterruptedException {
        WireChecks.awaitRecvQ(lab.a(), c.serverPort, c.peerPort, bytes);
    }

    private static void awaitGone(JdkConn c) throws InterruptedException {
        WireChecks.awaitGone(lab.a(), c.serverPort, c.peerPort);
    }

    static List<Segment> finsFrom(List<Segment> segs, int port) {
        return from(segs, port, false);
    }
}
