package dev.teardown.netty;

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
import dev.teardown.netty.NettyConn.Kind;
import dev.teardown.posix.JdkChannels;
import dev.teardown.testing.Capture;
import dev.teardown.testing.Capture.Segment;
import dev.teardown.testing.NetLab;
import dev.teardown.testing.WireChecks;
import io.netty.buffer.Unpooled;
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
 * Every close mode of {@link NettyTeardown} on an epoll and a NIO channel across two private network namespaces:
 * tcpdump on the server's link and ss in its namespace are the observers. Runs twice (surefire executions): NIO's
 * descriptor through {@code --add-opens} and through its addresses (the numbers found recently, then getpeername).
 */
@Timeout(60)
class NettyWireTest {
    private static NetLab lab;

    @BeforeAll
    static void lab() throws Exception {
        lab = NetLab.create();
        System.out.println("NettyWireTest: NIO descriptor through " + (JdkChannels.available() ? "--add-opens"
                : "its addresses"));
    }

    @AfterAll
    static void closeLab() {
        if (lab != null) {
            lab.close();
        }
    }

    private static Capture capture(NettyConn c) throws IOException {
        return Capture.start(lab.a().name(), lab.linkA(), c.serverPort);
    }

    private static CloseOutcome close(NettyConn c, CloseMode mode) throws Exception {
        return NettyTeardown.close(c.child, mode).get(30, TimeUnit.SECONDS); // from the test thread: not the loop
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void abortPutsOnlyRstOnTheWireAndReportsWhatItDiscarded(Kind kind) throws Exception {
        try (NettyConn c = new NettyConn(lab, kind, 0)) {
            c.peer.write(ByteBuffer.wrap(new byte[1000]));
            awaitRecvQ(c, 1000);
            try (Capture cap = capture(c)) {
                CloseOutcome o = close(c, CloseMode.ABORT);
                assertFalse(c.child.isOpen());
                assertEquals(Sent.RST, o.sent(), o.toString());
                assertEquals(1000, o.unreadBytesDiscarded(), o.toString());
                assertEquals(0, o.unsentBytesDiscarded(), o.toString());
                assertThrows(IOException.class, () -> readAll(c.peer));
                awaitGone(c);
                List<Segment> segs = cap.stop();
                assertFalse(from(segs, c.serverPort, true).isEmpty(), "an RST" + dump(segs));
                assertTrue(from(segs, c.serverPort, false).isEmpty(), "no FIN" + dump(segs));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void shutdownSendsFinAtOnce(Kind kind) throws Exception {
        try (NettyConn c = new NettyConn(lab, kind, 0)) {
            try (Capture cap = capture(c)) {
                CloseOutcome o = close(c, CloseMode.SHUTDOWN);
                assertEquals(-1, c.peer.read(ByteBuffer.allocate(16)), "the peer reads EOF");
                assertEquals(Sent.FIN, o.sent(), o.toString());
                assertEquals("CLOSE-WAIT", lab.b().state(c.peerPort, c.serverPort));
                List<Segment> segs = cap.stop();
                assertEquals(1, from(segs, c.serverPort, false).size(), "one FIN" + dump(segs));
                assertTrue(from(segs, c.serverPort, true).isEmpty(), "no RST" + dump(segs));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void releaseWithUnreadInputSendsRstAndSaysWhy(Kind kind) throws Exception {
        try (NettyConn c = new NettyConn(lab, kind, 0)) {
            c.peer.write(ByteBuffer.wrap(new byte[100]));
            awaitRecvQ(c, 100);
            try (Capture cap = capture(c)) {
                CloseOutcome o = close(c, CloseMode.RELEASE);
                assertTrue(o.rstSent(), o.toString());
                assertEquals(100, o.unreadBytesDiscarded(), o.toString());
                List<Segment> segs = cap.stop();
                assertFalse(from(segs, c.serverPort, true).isEmpty(), "an RST" + dump(segs));
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
        try (NettyConn c = new NettyConn(lab, kind, 32 * 1024)) {
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
            try (Capture cap = capture(c)) {
                c.child.writeAndFlush(Unpooled.wrappedBuffer(data)); // still being written when the close starts
                Thread.sleep(100);
                assertFalse(writer.isDone(), "the peer must still be sending when the close starts");
                CloseOutcome o = close(c, CloseMode.graceful(Duration.ofSeconds(20), 16 << 20));
                assertEquals(fromPeer, writer.get(20, TimeUnit.SECONDS));
                long[] got = reader.get(20, TimeUnit.SECONDS);
                assertEquals(toPeer, got[0], "every byte reached the peer");
                assertEquals(want.getValue(), got[1], "unchanged (CRC32)");
                assertEquals(Sent.FIN, o.sent(), o.toString());
                assertEquals(fromPeer, o.bytesDrained(), o.toString());
                List<Segment> segs = cap.stop();
                assertFalse(from(segs, c.serverPort, false).isEmpty(), "a FIN");
                assertTrue(segs.stream().noneMatch(Segment::rst), "no RST at all" + dump(rsts(segs)));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void gracefulFallsBackToRstAtItsDeadline(Kind kind) throws Exception {
        try (NettyConn c = new NettyConn(lab, kind, 0)) {
            try (Capture cap = capture(c)) {
                long t0 = System.nanoTime();
                CloseOutcome o = close(c, CloseMode.graceful(Duration.ofMillis(600)));
                long took = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(took >= 550 && took <= 600 + 1500, "after " + took + " ms, deadline 600 ms");
                assertTrue(o.deadlineExpired(), o.toString());
                assertEquals(Sent.FIN_THEN_RST, o.sent(), o.toString());
                awaitGone(c);
                List<Segment> segs = cap.stop();
                List<Segment> fins = from(segs, c.serverPort, false);
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
        try (NettyConn c = new NettyConn(lab, kind, 0)) {
            c.child.writeAndFlush(Unpooled.wrappedBuffer(new byte[10_000]));
            try (Capture cap = capture(c)) {
                CloseOutcome o = close(c, CloseMode.linger(Duration.ofSeconds(5)));
                assertEquals(Sent.FIN, o.sent(), o.toString());
                assertFalse(o.deadlineExpired(), o.toString());
                assertEquals(10_000, readAll(c.peer));
                List<Segment> segs = cap.stop();
                assertEquals(1, from(segs, c.serverPort, false).size(), "a FIN" + dump(segs));
                assertTrue(from(segs, c.serverPort, true).isEmpty(), "no RST" + dump(segs));
            }
        }
    }

    // ---- helpers (the shared ones are in WireChecks) ----

    private static void awaitRecvQ(NettyConn c, int bytes) throws InterruptedException {
        WireChecks.awaitRecvQ(lab.a(), c.serverPort, c.peerPort, bytes);
    }

    private static void awaitGone(NettyConn c) throws InterruptedException {
        WireChecks.awaitGone(lab.a(), c.serverPort, c.peerPort);
    }
}
