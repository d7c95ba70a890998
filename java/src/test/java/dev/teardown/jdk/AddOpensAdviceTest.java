package dev.teardown.jdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.teardown.TcpInfo;
import dev.teardown.TcpState;
import dev.teardown.inspect.PeerCheck;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Without {@code --add-opens java.base/sun.nio.ch} (the build's jdk-without-add-opens run), the calls that read a
 * JDK channel's descriptor by reflection say which option they need and which JdkSockets call needs none; that
 * call then answers for the same channel.
 */
class AddOpensAdviceTest {
    @Test
    void theRefusalNamesTheOptionAndTheJdkSocketsCallThatNeedsNone() throws Exception {
        Assumptions.assumeFalse(TcpInfo.canReadJdkChannels(),
                "this JVM has --add-opens java.base/sun.nio.ch: the advice is only given without it (the build's"
                        + " jdk-without-add-opens execution runs this)");
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             SocketChannel client = SocketChannel.open(server.getLocalAddress());
             SocketChannel accepted = server.accept()) {
            IllegalStateException info = assertThrows(IllegalStateException.class, () -> TcpInfo.of(client));
            assertTrue(info.getMessage().contains("--add-opens java.base/sun.nio.ch=ALL-UNNAMED")
                    && info.getMessage().contains("JdkSockets.tcpInfo(channel), which needs no JVM option"), info.getMessage());
            assertEquals(TcpState.ESTABLISHED, JdkSockets.tcpInfo(client).state());

            IllegalStateException peer = assertThrows(IllegalStateException.class, () -> PeerCheck.isPeerClosed(client));
            assertTrue(peer.getMessage().contains("--add-opens java.base/sun.nio.ch=ALL-UNNAMED")
                    && peer.getMessage().contains("JdkSockets.isPeerClosed(channel), which needs no JVM option"), peer.getMessage());
            assertFalse(JdkSockets.isPeerClosed(client));
            accepted.shutdownOutput();
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (!JdkSockets.isPeerClosed(client) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertTrue(JdkSockets.isPeerClosed(client), "the peer's FIN not seen through JdkSockets");
        }
    }
}
