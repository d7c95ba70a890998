package dev.teardown;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.teardown.posix.Libc;
import dev.teardown.posix.Os;
import dev.teardown.testing.Requirements;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The last close of teardown's own socket asks poll(2) first (no POLLHUP: not CLOSE; no POLLIN: nothing unread) and
 * reads FIONREAD and TCP_INFO only when that answer leaves a doubt. Each case below is one where a wrong shortcut would
 * misreport the wire: checked against the peer's reads, which see the RST or the FIN.
 */
@Timeout(60)
class CloseProbeTest {
    private static final int SO_RCVLOWAT = 18; // Linux; teardown itself never sets it

    @Test
    void unreadInputIsCountedWhenTheNumberNeverLeftTeardown() throws Exception {
        try (Net.Pair p = Net.Pair.open(Net.V4)) {
            p.client().write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5}));
            awaitReceived(p.server(), 5);
            CloseOutcome o = p.server().close(CloseMode.RELEASE);
            assertTrue(o.rstSent(), "unread input turns the close into RST: " + o);
            assertEquals(5, o.unreadBytesDiscarded(), o.toString());
            TcpException e = assertThrows(TcpException.class, () -> p.client().read(ByteBuffer.allocate(8), Duration.ofSeconds(5)));
            assertInstanceOf(ConnectionResetException.class, e, "the peer sees the reset");
        }
    }

    @Test
    void aReceiveLowWaterMarkSetBehindTeardownsBackDoesNotHideUnreadInput() throws Exception {
        Requirements.require(Os.LINUX, "SO_RCVLOWAT 18 is Linux's number");
        try (Net.Pair p = Net.Pair.open(Net.V4)) {
            int fd = p.server().fd(); // the number leaves teardown: code it cannot see may set options on the socket
            assertEquals(0, Libc.setsockopt(fd, Os.SOL_SOCKET, SO_RCVLOWAT, new int[] {100}, 4), "setsockopt(SO_RCVLOWAT)");
            p.client().write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5}));
            awaitReceived(p.server(), 5);
            int[] pfd = {fd, Os.POLLIN};
            assertEquals(0, Libc.poll(pfd, 1, 0), "poll(2) reports no POLLIN for 5 bytes under a low-water mark of 100");
            CloseOutcome o = p.server().close(CloseMode.RELEASE);
            assertTrue(o.rstSent(), "the 5 unread bytes still turn the close into RST: " + o);
            assertEquals(5, o.unreadBytesDiscarded(), o.toString());
            TcpException e = assertThrows(TcpException.class, () -> p.client().read(ByteBuffer.allocate(8), Duration.ofSeconds(5)));
            assertInstanceOf(ConnectionResetException.class, e, "the peer sees the reset");
        }
    }

    @Test
    void aConnectionThePeerResetIsReportedAsEndedAndSendsNothing() throws Exception {
        try (Net.Pair p = Net.Pair.open(Net.V4)) {
            p.client().close(CloseMode.ABORT);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (p.server().tcpInfo().state() != TcpState.CLOSE && System.nanoTime() < end) {
                Thread.onSpinWait();
            }
            assertEquals(TcpState.CLOSE, p.server().tcpInfo().state(), "the peer's RST moved the server to CLOSE");
            CloseOutcome o = p.server().close(CloseMode.RELEASE);
            assertEquals(CloseOutcome.Sent.NOTHING, o.sent(), "a socket already in CLOSE sends nothing at close(2): " + o);
        }
    }

    @Test
    void aQuietConnectionSendsFinAndTheOutcomeSaysSo() throws Exception {
        try (Net.Pair p = Net.Pair.open(Net.V4)) {
            CloseOutcome o = p.server().close(CloseMode.RELEASE);
            assertEquals(CloseOutcome.Sent.FIN, o.sent(), o.toString());
            assertEquals(0, o.unreadBytesDiscarded(), o.toString());
            assertEquals(-1, p.client().read(ByteBuffer.allocate(8), Duration.ofSeconds(5)), "the peer reads EOF: our FIN");
        }
    }

    private static void awaitReceived(TcpSocket s, long n) throws TcpException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (s.tcpInfo().bytesReceived().orElse(0) < n && System.nanoTime() < end) {
            Thread.onSpinWait();
        }
        assertEquals(n, s.tcpInfo().bytesReceived().orElse(0), "the bytes reached the server's receive queue");
    }
}
