package dev.teardown;

import static org.junit.jupiter.api.Assertions.*;

import dev.teardown.testing.Kernel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class SafetyNetTest {
    @Test
    void unreachableUnclosedSocketIsReleasedAndCounted() throws Exception {
        try (TcpListener l = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            long before = SafetyNet.collected();
            int clientPort = leakOneClient(l);
            TcpSocket server = l.accept(Duration.ofSeconds(5));
            long end = System.nanoTime() + 10_000_000_000L;
            while (SafetyNet.collected() == before && System.nanoTime() < end) {
                System.gc();
                Kernel.sleep(20);
            }
            assertTrue(SafetyNet.collected() > before, "the safety net released the leaked socket");
            // The peer sees the FIN the safety net's RELEASE sent, and ss shows the client side leave ESTAB.
            assertEquals(-1, server.read(ByteBuffer.allocate(8), Duration.ofSeconds(5)));
            String st = Kernel.awaitState(clientPort, l.localAddress().getPort(), "FIN-WAIT-2", 2000);
            assertEquals("FIN-WAIT-2", st);
            server.close(CloseMode.SHUTDOWN);
        }
    }

    private static int leakOneClient(TcpListener l) throws Exception {
        TcpSocket leaked = TcpSocket.connect(l.localAddress(), Duration.ofSeconds(5));
        return leaked.localAddress().getPort();
    }
}
