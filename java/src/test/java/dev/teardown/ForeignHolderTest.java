package dev.teardown;

import static org.junit.jupiter.api.Assertions.*;

import dev.teardown.inspect.SocketOwners;
import dev.teardown.posix.Libc;
import dev.teardown.posix.Os;
import dev.teardown.testing.ForeignSpawn;
import dev.teardown.testing.Kernel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A holder teardown did not create: the test clears close-on-exec on purpose and starts a child with a bare
 * posix_spawn, which inherits the socket. SocketOwners lists the child and the RELEASE outcome names it.
 */
class ForeignHolderTest {
    private static final Duration T = Duration.ofSeconds(5);

    @Test
    void releaseNamesAChildThatInheritedTheSocket() throws Exception {
        try (TcpListener l = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                TcpSocket client = TcpSocket.connect(l.localAddress(), T)) {
            TcpSocket server = l.accept(T);
            int fd = server.fd();
            long inode = SocketOwners.inodeOf(fd).orElseThrow();
            assertEquals(0, Libc.fcntl(fd, Os.F_SETFD, 0), "clear FD_CLOEXEC on purpose");
            int pid = ForeignSpawn.spawn(-1, -1, "sleep", "30");
            assertTrue(pid > 0, "posix_spawn failed: errno " + -pid);
            try {
                assertTrue(SocketOwners.of(inode).holders().stream().anyMatch(h -> h.pid() == pid && h.fd() == fd),
                        "SocketOwners lists the child at the inherited number: " + SocketOwners.of(inode));
                assertEquals(1, server.references(), "teardown does not know about the child");
                CloseOutcome o = server.close(CloseMode.RELEASE);
                assertEquals(CloseOutcome.Sent.NOTHING, o.sent(), o.toString());
                assertTrue(o.detail().startsWith("FIN not sent: still held by pid " + pid + " fd " + fd), o.detail());
                // ss: the peer saw no FIN.
                Kernel.sleep(100);
                assertEquals("ESTAB", Kernel.state(client.localAddress().getPort(), l.localAddress().getPort()));
            } finally {
                assertEquals(0, ForeignSpawn.killAndReap(pid));
            }
            assertEquals("CLOSE-WAIT", Kernel.awaitState(client.localAddress().getPort(), l.localAddress().getPort(),
                    "CLOSE-WAIT", 5000), "the child's exit released the last holder: FIN");
        }
    }

    @Test
    void releaseOfTheLastHolderSaysFin() throws Exception {
        try (TcpListener l = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                TcpSocket client = TcpSocket.connect(l.localAddress(), T)) {
            TcpSocket server = l.accept(T);
            CloseOutcome o = server.close(CloseMode.RELEASE);
            assertEquals(CloseOutcome.Sent.FIN, o.sent(), o.toString());
            assertEquals(-1, client.read(ByteBuffer.allocate(4), T));
        }
    }

    @Test
    void stateTcpInfoAndPeerClosedOnTheHandle() throws Exception {
        try (TcpListener l = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                TcpSocket client = TcpSocket.connect(l.localAddress(), T)) {
            TcpSocket server = l.accept(T);
            assertEquals(TcpState.ESTABLISHED, server.state());
            assertFalse(server.isPeerClosed());
            int cport = client.localAddress().getPort();
            client.write(ByteBuffer.wrap(new byte[10]));
            client.close(CloseMode.RELEASE);
            long end = System.nanoTime() + 2_000_000_000L;
            while (!server.isPeerClosed() && System.nanoTime() < end) {
                Kernel.sleep(10);
            }
            assertTrue(server.isPeerClosed(), "the FIN is seen while 10 bytes are still unread");
            assertEquals(TcpState.CLOSE_WAIT, server.state());
            assertEquals(TcpState.CLOSE_WAIT, server.tcpInfo().state());
            int sport = l.localAddress().getPort();
            assertEquals("CLOSE-WAIT", Kernel.state(sport, cport), "ss agrees");
            server.close(CloseMode.SHUTDOWN);
            assertThrows(SocketClosedException.class, server::state);
        }
    }
}
