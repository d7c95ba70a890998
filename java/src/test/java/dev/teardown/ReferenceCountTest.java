package dev.teardown;

import static dev.teardown.Net.assertNoEofWithin;
import static dev.teardown.Net.assertState;
import static dev.teardown.Net.descriptorsOf;
import static dev.teardown.Net.dump;
import static dev.teardown.Net.finsFrom;
import static dev.teardown.Net.link;
import static dev.teardown.Net.ms;
import static dev.teardown.Net.rstsFrom;
import static dev.teardown.Net.time;
import static dev.teardown.Net.wallSeconds;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.teardown.CloseOutcome.Sent;
import dev.teardown.Net.Pair;
import dev.teardown.testing.Capture;
import dev.teardown.testing.Capture.Segment;
import dev.teardown.testing.Kernel;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The reference count teardown reports ({@link TcpSocket#references()}, {@link CloseOutcome#referencesLeft()})
 * against the kernel's own count: how many entries of /proc/self/fd link to the same socket inode.
 */
@Timeout(30)
class ReferenceCountTest {

    @Test
    void referencesMatchTheDescriptorsInProcSelfFd() throws Exception {
        try (Pair p = Pair.open(Net.V4)) {
            TcpSocket c = p.client();
            String socket = link(c.fd());
            assertTrue(socket.startsWith("socket:["), socket);
            assertEquals(1, c.references());
            assertEquals(1, descriptorsOf(socket));

            TcpSocket d1 = c.dup();
            TcpSocket d2 = d1.dup();
            assertNotEquals(c.fd(), d1.fd());
            assertNotEquals(d1.fd(), d2.fd());
            assertEquals(socket, link(d1.fd()), "a dup refers to the same kernel socket");
            assertEquals(socket, link(d2.fd()));
            for (TcpSocket s : new TcpSocket[] {c, d1, d2}) {
                assertEquals(3, s.references());
            }
            assertEquals(3, descriptorsOf(socket));

            CloseOutcome o1 = d1.close(CloseMode.RELEASE);
            assertEquals(2, o1.referencesLeft(), o1.toString());
            assertEquals(Sent.NOTHING, o1.sent(), o1.toString());
            assertEquals(2, descriptorsOf(socket));
            assertEquals(2, c.references());

            CloseOutcome o2 = c.close(CloseMode.RELEASE);
            assertEquals(1, o2.referencesLeft(), o2.toString());
            assertEquals(1, descriptorsOf(socket));

            // the survivor still carries the connection both ways
            p.server().write(ByteBuffer.wrap(new byte[] {7}));
            ByteBuffer b = ByteBuffer.allocate(4);
            assertEquals(1, d2.read(b, ms(2000)));
            d2.write(ByteBuffer.wrap(new byte[] {8, 9}));
            assertEquals(2, p.server().read(ByteBuffer.allocate(4), ms(2000)));

            CloseOutcome o3 = d2.close(CloseMode.RELEASE);
            assertEquals(0, o3.referencesLeft(), o3.toString());
            assertEquals(Sent.FIN, o3.sent(), o3.toString());
            assertEquals(0, descriptorsOf(socket), "no descriptor refers to the socket any more");
            assertEquals(-1, p.server().read(ByteBuffer.allocate(4), ms(2000)));
        }
    }

    @Test
    void abortWhileADupLivesDefersTheRstToTheLastClose() throws Exception {
        try (Pair p = Pair.open(Net.V4)) {
            int cport = p.clientPort();
            int sport = p.serverPort();
            TcpSocket dup = p.client().dup();
            try (Capture cap = Capture.start(sport)) {
                CloseOutcome o = p.client().close(CloseMode.ABORT);
                assertEquals(Sent.NOTHING, o.sent(), o.toString());
                assertEquals(1, o.referencesLeft(), o.toString());
                assertNoEofWithin(p.server(), 300);
                assertEquals("ESTAB", Kernel.state(cport, sport));
                assertEquals("ESTAB", Kernel.state(sport, cport));

                double lastAt = wallSeconds();
                CloseOutcome last = dup.close(CloseMode.RELEASE);
                assertEquals(Sent.RST, last.sent(), "SO_LINGER {1,0} stayed on the socket: " + last);
                assertThrows(ConnectionResetException.class, () -> p.server().read(ByteBuffer.allocate(4), ms(2000)));
                assertState("GONE", cport, sport);
                assertFalse(Kernel.states(sport, cport).contains("TIME-WAIT"));

                List<Segment> segs = cap.stop();
                List<Segment> rsts = rstsFrom(segs, cport);
                assertFalse(rsts.isEmpty(), dump(segs));
                assertTrue(time(rsts.get(0)) >= lastAt - 0.005, "the RST left with the last close" + dump(segs));
                assertTrue(finsFrom(segs, cport).isEmpty(), "no FIN" + dump(segs));
            }
        }
    }

    @Test
    void lingerWhileADupLivesOnlyDropsTheReference() throws Exception {
        try (Pair p = Pair.open(Net.V6)) {
            int cport = p.clientPort();
            int sport = p.serverPort();
            TcpSocket dup = p.client().dup();
            CloseOutcome o = p.client().close(CloseMode.linger(Duration.ofSeconds(3)));
            assertEquals(Sent.NOTHING, o.sent(), o.toString());
            assertEquals(1, o.referencesLeft(), o.toString());
            assertTrue(o.elapsed().toMillis() < 500, "nothing to wait for: " + o);
            assertNoEofWithin(p.server(), 200);
            assertEquals("ESTAB", Kernel.state(cport, sport));
            assertEquals(Sent.FIN, dup.close(CloseMode.RELEASE).sent());
            assertState("FIN-WAIT-2", cport, sport);
        }
    }

    @Test
    void gracefulWhileADupLivesEndsTheConnectionForBoth() throws Throwable {
        try (Pair p = Pair.open(Net.V4)) {
            int cport = p.clientPort();
            int sport = p.serverPort();
            TcpSocket dup = p.client().dup();
            // the peer answers the FIN with its own after a short while
            Net.Bg<Long> peer = Net.background("peer", () -> {
                long n = Net.drainToEof(p.server(), Duration.ofSeconds(5));
                p.server().write(ByteBuffer.wrap(new byte[100]));
                p.server().shutdownOutput();
                return n;
            });
            CloseOutcome o = p.client().close(CloseMode.graceful(Duration.ofSeconds(5)));
            assertEquals(Sent.FIN, o.sent(), o.toString());
            assertEquals(1, o.referencesLeft(), o.toString());
            assertEquals(100, o.bytesDrained(), o.toString());
            assertEquals(0L, peer.get(5000));
            // the dup shares the socket: its input is at EOF and its output is shut down
            assertEquals(-1, dup.read(ByteBuffer.allocate(4), ms(1000)));
            assertEquals(Sent.NOTHING, dup.close(CloseMode.RELEASE).sent());
            assertState("TIME-WAIT", cport, sport);
        }
    }

    @Test
    void closedHandlesStillReportTheSharedCount() throws Exception {
        try (Pair p = Pair.open(Net.V4)) {
            TcpSocket d = p.client().dup();
            p.client().close(CloseMode.RELEASE);
            assertEquals(1, p.client().references(), "the count is per socket, read from any handle");
            CloseOutcome again = p.client().close(CloseMode.RELEASE);
            assertTrue(again.wasAlreadyClosed());
            assertEquals(1, again.referencesLeft(), "a second close drops nothing: " + again);
            assertEquals(1, d.references());
            assertThrows(SocketClosedException.class, () -> p.client().dup());
            assertEquals(1, d.references(), "a failed dup counts nothing");
            d.close(CloseMode.ABORT);
        }
    }

    /** Two threads close one handle at once: the loser did nothing and counts no reference for a socket that is gone. */
    @Test
    void theLoserOfACloseRaceCountsNoReferenceLeft() throws Exception {
        for (int round = 0; round < 200; round++) {
            try (Pair p = Pair.open(Net.V4)) {
                TcpSocket s = p.client();
                java.util.concurrent.CyclicBarrier go = new java.util.concurrent.CyclicBarrier(2);
                java.util.concurrent.CompletableFuture<CloseOutcome> other = java.util.concurrent.CompletableFuture
                        .supplyAsync(() -> {
                            try {
                                go.await();
                            } catch (Exception e) {
                                throw new RuntimeException(e);
                            }
                            return s.close(CloseMode.RELEASE);
                        });
                go.await();
                CloseOutcome mine = s.close(CloseMode.RELEASE);
                CloseOutcome theirs = other.get(5, java.util.concurrent.TimeUnit.SECONDS);
                CloseOutcome loser = mine.wasAlreadyClosed() ? mine : theirs;
                CloseOutcome winner = loser == mine ? theirs : mine;
                assertTrue(loser.wasAlreadyClosed() && !winner.wasAlreadyClosed(), mine + " / " + theirs);
                assertEquals(0, winner.referencesLeft(), winner.toString());
                assertEquals(0, loser.referencesLeft(), "round " + round + ": the loser counted the winner's reference: " + loser);
            }
        }
    }
}
