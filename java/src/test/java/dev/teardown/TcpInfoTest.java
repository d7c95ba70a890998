package dev.teardown;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.teardown.inspect.JdkChannelProbe;
import dev.teardown.inspect.PeerCheck;
import dev.teardown.posix.TcpInfoLayout;
import dev.teardown.testing.Kernel;
import java.io.File;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** TCP_INFO read by length, the peer-closed check, and JDK channel interop with and without --add-opens. */
class TcpInfoTest {
    private static final Duration T = Duration.ofSeconds(5);

    @Test
    void readsTheKernelsStructByLength() throws Exception {
        try (TcpListener l = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                TcpSocket c = TcpSocket.connect(l.localAddress(), T);
                TcpSocket s = l.accept(T)) {
            byte[] hello = new byte[1000];
            c.write(ByteBuffer.wrap(hello));
            ByteBuffer in = ByteBuffer.allocate(2000);
            while (in.position() < 1000) {
                s.read(in, T);
            }
            Kernel.sleep(50); // let the ACK come back
            TcpInfo info = TcpInfo.of(c.fd());
            assertEquals(TcpState.ESTABLISHED, info.state());
            assertEquals(TcpState.ESTABLISHED, TcpInfo.stateOf(s.fd()));
            assertTrue(info.length() >= TcpInfoLayout.BASE_SIZE, "length " + info.length());
            assertTrue(info.rtt().toNanos() > 0, info.toString());
            assertTrue(info.rto().toMillis() >= 200, "Linux's minimum RTO is 200 ms: " + info);
            assertTrue(info.sendCwnd() >= 1);
            assertEquals(0, info.unacked(), info.toString());
            // bytes_acked counts our SYN's sequence number too (snd_una - ISS)
            assertEquals(1001, info.bytesAcked().orElseThrow(), "bytes_acked (Linux 4.1+)");
            assertEquals(1000, TcpInfo.of(s.fd()).bytesReceived().orElseThrow());
            assertEquals(0, info.notSentBytes().orElseThrow());
            assertTrue(info.timestamps() && info.sack(), "loopback negotiates timestamps and SACK: " + info.options());
            assertTrue(info.sinceLastDataSent().toMillis() < 5_000);
            if (info.length() >= TcpInfoLayout.TOTAL_RTO_TIME + 4) {
                assertEquals(0, info.totalRtoTimeouts().orElseThrow());
            }
            // The struct grows with the kernel: a field past the returned length is absent, never zero.
            byte[] raw = info.raw();
            TcpInfo old = TcpInfo.fromBytes(raw, TcpInfoLayout.BASE_SIZE);
            assertFalse(old.bytesAcked().isPresent());
            assertFalse(old.minRtt().isPresent());
            assertFalse(old.receiveWindow().isPresent());
            assertEquals(info.rtt(), old.rtt());
            assertEquals(info.state(), old.state());
            TcpInfo v419 = TcpInfo.fromBytes(raw, TcpInfoLayout.SND_WND); // ends before tcpi_snd_wnd
            assertTrue(v419.bytesSent().isPresent());
            assertFalse(v419.sendWindow().isPresent());
        }
    }

    @Test
    void stateAndPeerClosedFollowThePeersFin() throws Exception {
        try (TcpListener l = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                TcpSocket s = TcpSocket.connect(l.localAddress(), T)) {
            TcpSocket peer = l.accept(T);
            assertFalse(PeerCheck.isPeerClosed(s.fd()));
            peer.write(ByteBuffer.wrap("bye".getBytes(StandardCharsets.US_ASCII)));
            peer.close(CloseMode.SHUTDOWN);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!PeerCheck.isPeerClosed(s.fd()) && System.nanoTime() < end) {
                Kernel.sleep(5);
            }
            // FIN seen although "bye" is still unread
            assertTrue(PeerCheck.isPeerClosed(s.fd()));
            assertEquals(TcpState.CLOSE_WAIT, TcpInfo.of(s.fd()).state());
            assertEquals("CLOSE-WAIT", Kernel.state(s.localAddress().getPort(), l.localAddress().getPort()));
            ByteBuffer b = ByteBuffer.allocate(8);
            assertEquals(3, s.read(b, T));
        }
    }

    @Test
    void aClosedOrForeignDescriptorFailsWithTheErrno() throws Exception {
        TcpException e = assertThrows(TcpException.class, () -> TcpInfo.of(Integer.MAX_VALUE - 1));
        assertTrue(e instanceof SocketClosedException, e.toString());
        assertTrue(e.getMessage().contains("EBADF"), e.getMessage());
        assertThrows(TcpException.class, () -> PeerCheck.isPeerClosed(Integer.MAX_VALUE - 1));
        TcpException notSock = assertThrows(TcpException.class, () -> TcpInfo.of(0)); // stdin
        assertTrue(notSock.errnoName().equals("ENOTSOCK") || notSock.errnoName().equals("EBADF"), notSock.getMessage());
    }

    @Test
    void jdkChannelWorksWithTheAddOpensFlag() throws Exception {
        assertTrue(TcpInfo.canReadJdkChannels(), "surefire runs with --add-opens java.base/sun.nio.ch=ALL-UNNAMED");
        SocketChannel client;
        try (ServerSocketChannel server = ServerSocketChannel.open()
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                SocketChannel c = SocketChannel.open(server.getLocalAddress());
                SocketChannel accepted = server.accept()) {
            client = c;
            assertEquals(TcpState.ESTABLISHED, TcpInfo.of(c).state());
            assertFalse(PeerCheck.isPeerClosed(c));
            accepted.close();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!PeerCheck.isPeerClosed(c) && System.nanoTime() < end) {
                Kernel.sleep(5);
            }
            assertTrue(PeerCheck.isPeerClosed(c));
            assertEquals(TcpState.CLOSE_WAIT, TcpInfo.of(c).state());
        }
        TcpException closed = assertThrows(TcpException.class, () -> TcpInfo.of(client));
        assertEquals("EBADF", closed.errnoName());
    }

    @Test
    void jdkChannelFailsClearlyWithoutTheFlagAndWorksWithIt() throws Exception {
        String without = probe(false);
        assertTrue(without.startsWith("FAILED "), without);
        assertTrue(without.contains("--add-opens java.base/sun.nio.ch=ALL-UNNAMED"), without);
        String with = probe(true);
        assertEquals("STATE ESTABLISHED", with.trim());
    }

    /** Runs {@link JdkChannelProbe} in a fresh JVM, with or without the flag; returns its output. */
    private static String probe(boolean flag) throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(java));
        if (Runtime.version().feature() >= 22) {
            cmd.add("--enable-native-access=ALL-UNNAMED"); // else the binding's first call prints a warning
        }
        if (flag) {
            cmd.add("--add-opens");
            cmd.add("java.base/sun.nio.ch=ALL-UNNAMED");
        }
        cmd.addAll(List.of("-cp", cp, JdkChannelProbe.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "probe JVM hung");
        assertEquals(0, p.exitValue(), out);
        return out.trim();
    }
}
