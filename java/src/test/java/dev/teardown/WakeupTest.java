package dev.teardown;

import static dev.teardown.Net.assertNoEofWithin;
import static dev.teardown.Net.dump;
import static dev.teardown.Net.ms;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
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
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A close from another thread wakes a blocked read, write or accept promptly with
 * {@link SocketClosedException}; in RELEASE mode with a dup alive nothing goes on the wire, and other
 * holders of the socket do not notice.
 */
@Timeout(30)
class WakeupTest {
    /** "Promptly": the issue asks for well under a second. */
    private static final long PROMPT_MS = 1000;

    static Stream<InetAddress> families() {
        return Net.families();
    }

    @ParameterizedTest
    @MethodSource("families")
    void closeWakesABlockedReadAndReleasePutsNothingOnTheWire(InetAddress host) throws Throwable {
        try (Pair p = Pair.open(host)) {
            int cport = p.clientPort();
            int sport = p.serverPort();
            TcpSocket dup = p.client().dup();
            try (Capture cap = Capture.start(sport)) {
                Bg<Integer> reader = Net.background("blocked-reader", () -> p.client().read(ByteBuffer.allocate(64)));
                Net.awaitBlockedInPoll(reader.thread);

                long t0 = System.nanoTime();
                CloseOutcome o = p.client().close(CloseMode.RELEASE);
                Throwable woke = reader.failure(5000);
                long wokeMs = (reader.finishedAt - t0) / 1_000_000;
                assertInstanceOf(SocketClosedException.class, woke);
                assertEquals(0, ((SocketClosedException) woke).errno(), "detected by teardown, not EBADF: " + woke);
                assertTrue(wokeMs < PROMPT_MS, "woken after " + wokeMs + " ms");
                assertEquals(Sent.NOTHING, o.sent(), o.toString());
                assertEquals(1, o.referencesLeft(), o.toString());

                assertNoEofWithin(p.server(), 200);
                assertEquals("ESTAB", Kernel.state(cport, sport));
                assertEquals("ESTAB", Kernel.state(sport, cport));

                // the dup still works both ways
                p.server().write(ByteBuffer.wrap(new byte[] {42}));
                ByteBuffer b = ByteBuffer.allocate(4);
                assertEquals(1, dup.read(b, ms(2000)));
                assertEquals(42, b.get(0));

                List<Segment> segs = cap.stop();
                assertTrue(Net.from(segs, cport, s -> s.fin() || s.rst()).isEmpty(),
                        "no FIN or RST from the closed handle's socket" + dump(segs));
            }
            dup.close(CloseMode.ABORT);
        }
    }

    @Test
    void closeWakesOnlyTheClosedHandleNotADupBlockedOnTheSameSocket() throws Throwable {
        try (Pair p = Pair.open(Net.V4)) {
            TcpSocket dup = p.client().dup();
            Bg<Integer> onOriginal = Net.background("reader-original", () -> p.client().read(ByteBuffer.allocate(64)));
            ByteBuffer got = ByteBuffer.allocate(64);
            Bg<Integer> onDup = Net.background("reader-dup", () -> dup.read(got));
            Net.awaitBlockedInPoll(onOriginal.thread);
            Net.awaitBlockedInPoll(onDup.thread);

            p.client().close(CloseMode.RELEASE);
            assertInstanceOf(SocketClosedException.class, onOriginal.failure(PROMPT_MS));
            Net.sleepMillis(200);
            assertFalse(onDup.isDone(), "the dup's reader must not see the other handle's close");
            Net.awaitBlockedInPoll(onDup.thread);

            p.server().write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
            assertEquals(3, onDup.get(2000));
            dup.close(CloseMode.ABORT);
        }
    }

    @Test
    void closeWakesAReadWithATimeoutBeforeTheTimeout() throws Throwable {
        try (Pair p = Pair.open(Net.V6)) {
            Bg<Integer> reader = Net.background("timed-reader",
                    () -> p.server().read(ByteBuffer.allocateDirect(64), Duration.ofSeconds(20)));
            Net.awaitBlockedInPoll(reader.thread);
            long t0 = System.nanoTime();
            p.server().close(CloseMode.ABORT);
            Throwable woke = reader.failure(5000);
            assertInstanceOf(SocketClosedException.class, woke, "closed, not timed out");
            assertTrue((reader.finishedAt - t0) / 1_000_000 < PROMPT_MS);
        }
    }

    @Test
    void closeWakesABlockedWrite() throws Throwable {
        TcpListener.Builder small = TcpListener.builder().option(TcpOption.SO_RCVBUF, 4096);
        try (Pair p = Pair.open(small, Net.V4)) {
            int cport = p.clientPort();
            int sport = p.serverPort();
            TcpSocket dup = p.client().dup();
            Bg<Integer> writer = Net.background("blocked-writer", () -> p.client().write(ByteBuffer.allocate(16 << 20)));
            Net.awaitBlockedInPoll(writer.thread);

            long t0 = System.nanoTime();
            CloseOutcome o = p.client().close(CloseMode.RELEASE);
            assertInstanceOf(SocketClosedException.class, writer.failure(5000));
            assertTrue((writer.finishedAt - t0) / 1_000_000 < PROMPT_MS);
            assertEquals(Sent.NOTHING, o.sent(), o.toString());
            assertEquals("ESTAB", Kernel.state(cport, sport), "the dup keeps the connection open");
            dup.close(CloseMode.ABORT);
        }
    }

    @ParameterizedTest
    @MethodSource("families")
    void closeWakesABlockedAccept(InetAddress host) throws Throwable {
        TcpListener l = TcpListener.bind(Net.anyPort(host));
        int port = l.localAddress().getPort();
        assertTrue(listening(port), "ss lists the listener");
        Bg<TcpSocket> acceptor = Net.background("blocked-accept", l::accept);
        Net.awaitBlockedInPoll(acceptor.thread);

        long t0 = System.nanoTime();
        l.close();
        long closeMs = (System.nanoTime() - t0) / 1_000_000;
        Throwable woke = acceptor.failure(5000);
        assertInstanceOf(SocketClosedException.class, woke);
        assertTrue((acceptor.finishedAt - t0) / 1_000_000 < PROMPT_MS);
        assertTrue(closeMs < PROMPT_MS, "close waited " + closeMs + " ms for the accept to leave");
        assertFalse(listening(port), "ss no longer lists the listener");
        assertInstanceOf(SocketClosedException.class, Net.background("accept-after", l::accept).failure(1000));
    }

    @Test
    void closeFromSeveralThreadsAtOnceClosesOnce() throws Throwable {
        try (Pair p = Pair.open(Net.V4)) {
            Bg<Integer> reader = Net.background("blocked-reader", () -> p.server().read(ByteBuffer.allocate(8)));
            Net.awaitBlockedInPoll(reader.thread);
            long closesBefore = CloseHook.count();
            List<Bg<CloseOutcome>> closers = Stream.of(CloseMode.RELEASE, CloseMode.SHUTDOWN, CloseMode.ABORT,
                    CloseMode.graceful(ms(100)), CloseMode.linger(ms(100)))
                    .map(m -> Net.background("closer-" + m, () -> p.server().close(m))).toList();
            int real = 0;
            for (Bg<CloseOutcome> c : closers) {
                if (!c.get(5000).wasAlreadyClosed()) {
                    real++;
                }
            }
            assertEquals(1, real, "exactly one close did the work");
            assertEquals(1, CloseHook.count() - closesBefore, "close(2) ran once");
            assertInstanceOf(SocketClosedException.class, reader.failure(PROMPT_MS));
        }
    }

    private static boolean listening(int port) {
        return Kernel.ss().stream().anyMatch(r -> r.state().equals("LISTEN") && r.localPort() == port);
    }
}
