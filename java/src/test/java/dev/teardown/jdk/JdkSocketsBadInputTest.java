package dev.teardown.jdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.teardown.CloseMode;
import dev.teardown.CloseOutcome;
import dev.teardown.inspect.SocketOwners;
import dev.teardown.TcpState;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What JdkSockets does with input it cannot act on, and the views on both kinds of JDK socket. Loopback only;
 * runs with and without {@code --add-opens}.
 */
@Timeout(30)
class JdkSocketsBadInputTest {
    private static final InetAddress LO = InetAddress.getLoopbackAddress();

    /** A connected pair: [0] the accepted server channel, [1] the client. */
    private static SocketChannel[] pair() throws IOException {
        try (ServerSocketChannel ss = ServerSocketChannel.open().bind(new InetSocketAddress(LO, 0))) {
            SocketChannel client = SocketChannel.open(ss.getLocalAddress());
            return new SocketChannel[] {ss.accept(), client};
        }
    }

    @Test
    void nullArgumentsAreNamed() throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JdkSockets.close((SocketChannel) null, CloseMode.RELEASE));
        assertTrue(e.getMessage().contains("channel"), e.getMessage());
        SocketChannel[] p = pair();
        try {
            e = assertThrows(IllegalArgumentException.class, () -> JdkSockets.close(p[0], null));
            assertTrue(e.getMessage().contains("mode"), e.getMessage());
            assertTrue(p[0].isOpen(), "nothing was closed");
        } finally {
            p[0].close();
            p[1].close();
        }
    }

    @Test
    void anUnconnectedChannelOrSocketIsRefusedAndLeftOpen() throws IOException {
        try (SocketChannel ch = SocketChannel.open(); Socket s = new Socket()) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> JdkSockets.close(ch, CloseMode.ABORT));
            assertTrue(e.getMessage().contains("not connected"), e.getMessage());
            assertTrue(ch.isOpen());
            e = assertThrows(IllegalStateException.class, () -> JdkSockets.close(s, CloseMode.ABORT));
            assertTrue(e.getMessage().contains("not connected"), e.getMessage());
            assertFalse(s.isClosed());
            assertThrows(IllegalStateException.class, () -> JdkSockets.tcpInfo(ch));
        }
    }

    @Test
    void anAlreadyClosedChannelOrSocketGetsTheJdksOwnException() throws IOException {
        SocketChannel[] p = pair();
        p[0].close();
        assertThrows(ClosedChannelException.class, () -> JdkSockets.close(p[0], CloseMode.graceful(Duration.ofSeconds(1))));
        assertThrows(ClosedChannelException.class, () -> JdkSockets.closeAsync(p[0], CloseMode.ABORT));
        assertThrows(ClosedChannelException.class, () -> JdkSockets.state(p[0]));
        p[1].close();
        try (ServerSocket ss = new ServerSocket(0, 5, LO); Socket c = new Socket(LO, ss.getLocalPort()); Socket a = ss.accept()) {
            a.close();
            SocketException e = assertThrows(SocketException.class, () -> JdkSockets.close(a, CloseMode.SHUTDOWN));
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
        }
    }

    @Test
    void aUnixDomainChannelIsNotTcp() throws IOException {
        Path dir = Files.createTempDirectory("teardown-uds");
        Path path = dir.resolve("s");
        try (ServerSocketChannel ss = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(UnixDomainSocketAddress.of(path));
                SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(path)); SocketChannel a = ss.accept()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JdkSockets.close(c, CloseMode.ABORT));
            assertTrue(e.getMessage().contains("Unix-domain"), e.getMessage());
            assertTrue(c.isOpen());
            assertThrows(IllegalArgumentException.class, () -> JdkSockets.tcpInfo(a));
        } finally {
            Files.deleteIfExists(path);
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void anSslSocketIsRefused() throws IOException {
        try (Socket s = javax.net.ssl.SSLSocketFactory.getDefault().createSocket()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> JdkSockets.close(s, CloseMode.graceful(Duration.ofSeconds(1))));
            assertTrue(e.getMessage().contains("SSLSocket"), e.getMessage());
            assertFalse(s.isClosed());
        }
    }

    @Test
    void aChannelWithAValidSelectionKeyMustBePassedAsItsKey() throws Exception {
        SocketChannel[] p = pair();
        try (Selector sel = Selector.open()) {
            p[0].configureBlocking(false);
            SelectionKey key = p[0].register(sel, SelectionKey.OP_READ);
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> JdkSockets.closeAsync(p[0], CloseMode.graceful(Duration.ofSeconds(1))));
            assertTrue(e.getMessage().contains("closeAsync(key, mode)"), e.getMessage());
            assertTrue(p[0].isOpen() && key.isValid(), "nothing was changed");
            assertFalse(p[0].isBlocking());
            p[1].close(); // the peer's FIN ends the drain
            CompletableFuture<CloseOutcome> f = JdkSockets.closeAsync(key, CloseMode.graceful(Duration.ofSeconds(5)));
            // the caller's loop: keeps selecting, so the cancelled key is flushed and the JDK really closes
            while (!f.isDone()) {
                sel.select(50);
            }
            CloseOutcome o = f.get();
            assertFalse(p[0].isOpen());
            assertFalse(p[0].isRegistered(), "deregistered from the caller's Selector");
            assertEquals(CloseOutcome.Sent.FIN, o.sent(), o.toString());
        }
    }

    @Test
    void aChannelClosedByItsOwnerDuringTheDrainEndsTheDrainAndIsClosedOnce() throws Exception {
        SocketChannel[] p = pair();
        try {
            CompletableFuture<CloseOutcome> closing = CompletableFuture.supplyAsync(() -> {
                try {
                    return JdkSockets.close(p[0], CloseMode.graceful(Duration.ofSeconds(10)));
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            Thread.sleep(300); // the drain is now blocked in read: the peer neither sends nor closes
            p[0].close(); // the owner closes it
            CloseOutcome o = closing.get(5, TimeUnit.SECONDS);
            assertTrue(o.detail().contains("closed by its owner"), o.toString());
            assertFalse(o.deadlineExpired(), o.toString());
            assertCloseFreedOnce();
        } finally {
            p[1].close();
        }
    }

    @Test
    void anAsyncDrainWhoseChannelIsClosedByItsOwnerEndsAtOnce() throws Exception {
        SocketChannel[] p = pair();
        try {
            p[0].configureBlocking(false);
            CompletableFuture<CloseOutcome> f = JdkSockets.closeAsync(p[0], CloseMode.graceful(Duration.ofSeconds(10)));
            Thread.sleep(300);
            p[0].close();
            p[1].write(ByteBuffer.wrap(new byte[10])); // wakes the drain, which finds the channel closed
            CloseOutcome o = f.get(5, TimeUnit.SECONDS);
            assertTrue(o.detail().contains("closed by its owner"), o.toString());
            assertCloseFreedOnce();
        } finally {
            p[1].close();
        }
    }

    @Test
    void gracefulAfterTheOwnersShutdownInputSaysThereWasNothingToDrainThrough() throws Exception {
        SocketChannel[] p = pair();
        try {
            p[0].shutdownInput();
            CloseOutcome o = JdkSockets.close(p[0], CloseMode.graceful(Duration.ofSeconds(5)));
            assertFalse(p[0].isOpen());
            assertEquals(CloseOutcome.Sent.FIN, o.sent(), o.toString());
            assertTrue(o.detail().contains("shutdownInput"), o.toString());
            assertTrue(o.elapsed().toMillis() < 1000, "no drain waited: " + o);
        } finally {
            p[1].close();
        }
    }

    /** A number released twice would break the next socket that gets it: open one and use it. */
    private static void assertCloseFreedOnce() throws IOException {
        SocketChannel[] q = pair();
        try {
            q[1].write(ByteBuffer.wrap(new byte[] {42}));
            ByteBuffer b = ByteBuffer.allocate(1);
            assertEquals(1, q[0].read(b));
            assertEquals(42, b.get(0));
        } finally {
            q[0].close();
            q[1].close();
        }
    }

    @Test
    void viewsWorkForChannelsAndPlainSockets() throws Exception {
        SocketChannel[] p = pair();
        try (ServerSocket ss = new ServerSocket(0, 5, LO); Socket c = new Socket(LO, ss.getLocalPort()); Socket a = ss.accept()) {
            assertEquals(TcpState.ESTABLISHED, JdkSockets.state(p[0]));
            assertEquals(TcpState.ESTABLISHED, JdkSockets.state(a));
            assertNotNull(JdkSockets.tcpInfo(a).rtt());
            assertFalse(JdkSockets.isPeerClosed(a));
            c.shutdownOutput();
            long end = System.nanoTime() + 2_000_000_000L;
            while (!JdkSockets.isPeerClosed(a) && System.nanoTime() < end) {
                Thread.sleep(10);
            }
            assertTrue(JdkSockets.isPeerClosed(a), "the peer's FIN is seen");
            assertEquals(TcpState.CLOSE_WAIT, JdkSockets.state(a));
            SocketOwners owners = JdkSockets.owners(a);
            assertEquals(1, owners.holders().size(), owners.toString());
            assertEquals(SocketOwners.selfPid(), owners.holders().get(0).pid());
            assertEquals(1, JdkSockets.owners(p[0]).holders().size());
            CloseOutcome o = JdkSockets.close(a, CloseMode.RELEASE);
            assertEquals(CloseOutcome.Sent.FIN, o.sent(), o.toString());
            assertTrue(a.isClosed());
        } finally {
            p[0].close();
            p[1].close();
        }
    }
}
