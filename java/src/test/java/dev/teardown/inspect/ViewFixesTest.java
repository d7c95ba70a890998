package dev.teardown.inspect;

import dev.teardown.TcpState;
import dev.teardown.TcpInfo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.teardown.CloseMode;
import dev.teardown.TcpListener;
import dev.teardown.TcpSocket;
import dev.teardown.testing.Kernel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Issue 12 (5): a lookup of a gone connection is empty, IPv6 prints in its short form, the table streams with tcp_info. */
class ViewFixesTest {

    /** A local port nobody listens on or connects from (bound, then released). */
    private static int freePort(InetAddress host) throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, host)) {
            return s.getLocalPort();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "::1"})
    void lookupOfAGoneConnectionIsEmptyNotTheListener(String host) throws Exception {
        InetAddress lo = InetAddress.getByName(host);
        try (TcpListener listener = TcpListener.bind(new InetSocketAddress(lo, 0))) {
            InetSocketAddress server = listener.localAddress();
            TcpSocket client = TcpSocket.connect(server, Duration.ofSeconds(5));
            TcpSocket accepted = listener.accept(Duration.ofSeconds(5));
            InetSocketAddress clientAddress = client.localAddress();
            assertEquals(TcpState.ESTABLISHED, TcpTable.lookup(server, clientAddress).orElseThrow().state());
            // RST on both sides: no TIME_WAIT is left, the connection is gone from the table
            client.close(CloseMode.ABORT);
            accepted.close(CloseMode.ABORT);
            assertEquals("GONE", Kernel.awaitState(server.getPort(), clientAddress.getPort(), "GONE", 5000));
            assertFalse(TcpTable.lookup(server, clientAddress).isPresent(), "server side of a gone connection");
            assertFalse(TcpTable.lookup(clientAddress, server).isPresent(), "client side of a gone connection");
            // a client that never existed
            InetSocketAddress never = new InetSocketAddress(lo, freePort(lo));
            assertFalse(TcpTable.lookup(server, never).isPresent(), "never-connected peer: " + TcpTable.lookup(server, never));
        }
    }

    @Test
    void lookupOfAGoneJdkConnectionIsEmpty() throws Exception {
        // the JDK's sockets are v4-mapped AF_INET6: the second lookup the table makes must not return the listener either
        InetAddress lo = InetAddress.getByName("127.0.0.1");
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress(lo, 0))) {
            InetSocketAddress serverAddress = (InetSocketAddress) server.getLocalAddress();
            InetSocketAddress never = new InetSocketAddress(lo, freePort(lo));
            assertFalse(TcpTable.lookup(serverAddress, never).isPresent(), String.valueOf(TcpTable.lookup(serverAddress, never)));
            try (SocketChannel c = SocketChannel.open(serverAddress); SocketChannel a = server.accept()) {
                InetSocketAddress client = (InetSocketAddress) c.getLocalAddress();
                TcpEntry e = TcpTable.lookup(serverAddress, client).orElseThrow();
                assertEquals(TcpState.ESTABLISHED, e.state());
                assertEquals(client, e.remote());
            }
        }
    }

    @Test
    void ipv6PrintsInItsShortForm() throws Exception {
        assertEquals("[::1]:80", TcpEntry.format(new InetSocketAddress(InetAddress.getByName("::1"), 80)));
        assertEquals("[::]:0", TcpEntry.format(new InetSocketAddress(InetAddress.getByName("::"), 0)));
        assertEquals("[2001:db8::1:0:0:1]", TcpEntry.formatHost(InetAddress.getByName("2001:db8:0:0:1:0:0:1")));
        assertEquals("[2001:db8:0:1:1:1:1:1]", TcpEntry.formatHost(InetAddress.getByName("2001:db8:0:1:1:1:1:1")));
        assertEquals("[fe80::1]", TcpEntry.formatHost(InetAddress.getByName("fe80::1%1")));
        assertEquals("[1::]", TcpEntry.formatHost(InetAddress.getByName("1:0:0:0:0:0:0:0")));
        assertEquals("10.0.0.1:5", TcpEntry.format(new InetSocketAddress(InetAddress.getByName("10.0.0.1"), 5)));
        // and an entry of the table, compared with what ss prints for the same socket
        try (TcpListener l = TcpListener.bind(new InetSocketAddress(InetAddress.getByName("::1"), 0))) {
            int port = l.localAddress().getPort();
            List<TcpEntry> mine = new ArrayList<>();
            TcpTable.forEach(EnumSet.of(TcpState.LISTEN), e -> {
                if (e.localPort() == port) {
                    mine.add(e);
                }
            });
            assertEquals(1, mine.size(), mine.toString());
            assertTrue(mine.get(0).toString().contains(" [::1]:" + port + " "), mine.get(0).toString());
            String ss = Kernel.run("ss", "-tanH", "state", "listening", "sport", "= :" + port);
            assertTrue(ss.contains("[::1]:" + port), ss);
        }
    }

    @Test
    void streamingWithInfoCarriesEachSocketsTcpInfo() throws Exception {
        try (TcpListener l = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                TcpSocket c = TcpSocket.connect(l.localAddress(), Duration.ofSeconds(5));
                TcpSocket a = l.accept(Duration.ofSeconds(5))) {
            c.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
            Thread.sleep(300);
            int port = l.localAddress().getPort();
            List<TcpEntry> withInfo = new ArrayList<>();
            List<TcpEntry> without = new ArrayList<>();
            TcpTable.forEachWithInfo(EnumSet.of(TcpState.ESTABLISHED), e -> {
                if (e.localPort() == port) {
                    withInfo.add(e);
                }
            });
            TcpTable.forEach(EnumSet.of(TcpState.ESTABLISHED), e -> {
                if (e.localPort() == port) {
                    without.add(e);
                }
            });
            assertEquals(1, withInfo.size());
            TcpInfo fromDump = withInfo.get(0).info().orElseThrow();
            TcpInfo direct = TcpInfo.of(a.fd());
            assertEquals(direct.state(), fromDump.state());
            // the 3 bytes arrived about 300 ms ago, in both views
            long dumped = fromDump.sinceLastDataReceived().toMillis();
            assertTrue(dumped >= 250 && dumped < 5_000, "last data received " + dumped + " ms ago");
            assertTrue(Math.abs(direct.sinceLastDataReceived().toMillis() - dumped) < 1_000);
            assertEquals(3, withInfo.get(0).receiveQueue());
            assertFalse(without.get(0).info().isPresent(), "forEach does not ask for tcp_info");
        }
    }
}
