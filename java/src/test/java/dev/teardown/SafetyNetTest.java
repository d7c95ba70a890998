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

    @Test
    void anAsynchronousCloseThatItsExecutorDroppedIsFinishedByTheSafetyNet() throws Exception {
        try (TcpListener l = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            long before = SafetyNet.collected();
            int clientPort = closeWithADroppingExecutor(l);
            TcpSocket server = l.accept(Duration.ofSeconds(5));
            long end = System.nanoTime() + 10_000_000_000L;
            while (SafetyNet.collected() == before && System.nanoTime() < end) {
                System.gc();
                Kernel.sleep(20);
            }
            assertTrue(SafetyNet.collected() > before, "the safety net finished the dropped close");
            assertEquals(-1, server.read(ByteBuffer.allocate(8), Duration.ofSeconds(5)), "the FIN went out");
            assertEquals("FIN-WAIT-2", Kernel.awaitState(clientPort, l.localAddress().getPort(), "FIN-WAIT-2", 2000));
            server.close(CloseMode.SHUTDOWN);
        }
    }

    private static int closeWithADroppingExecutor(TcpListener l) throws Exception {
        TcpSocket s = TcpSocket.connect(l.localAddress(), Duration.ofSeconds(5));
        int port = s.localAddress().getPort();
        var f = s.closeAsync(CloseMode.RELEASE, task -> { }); // accepts the task and never runs it
        assertFalse(f.isDone());
        assertFalse(s.isOpen(), "closed to new calls at once");
        return port;
    }

    private static int leakOneClient(TcpListener l) throws Exception {
        TcpSocket leaked = TcpSocket.connect(l.localAddress(), Duration.ofSeconds(5));
        return leaked.localAddress().getPort();
    }
}
