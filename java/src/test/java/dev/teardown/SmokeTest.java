package dev.teardown;

import static org.junit.jupiter.api.Assertions.*;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class SmokeTest {
    @Test
    void roundTripAndClose() throws Exception {
        try (TcpListener l = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            TcpSocket c = TcpSocket.connect(l.localAddress(), Duration.ofSeconds(5));
            TcpSocket s = l.accept(Duration.ofSeconds(5));
            c.write(ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer b = ByteBuffer.allocate(16);
            assertEquals(5, s.read(b, Duration.ofSeconds(5)));
            assertEquals("hello", new String(b.array(), 0, 5, StandardCharsets.US_ASCII));
            ByteBuffer direct = ByteBuffer.allocateDirect(16);
            s.write(ByteBuffer.wrap("xyz".getBytes(StandardCharsets.US_ASCII)));
            assertEquals(3, c.read(direct, Duration.ofSeconds(5)));
            CloseOutcome o = c.close(CloseMode.RELEASE);
            assertEquals(CloseOutcome.Sent.FIN, o.sent(), o.toString());
            assertEquals(-1, s.read(ByteBuffer.allocate(4), Duration.ofSeconds(5)));
            CloseOutcome o2 = s.close(CloseMode.ABORT);
            assertTrue(o2.rstSent(), o2.toString());
            assertTrue(c.close(CloseMode.RELEASE).wasAlreadyClosed());
        }
    }
}
