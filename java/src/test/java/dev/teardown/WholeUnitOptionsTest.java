package dev.teardown;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * An option the kernel keeps in whole seconds (or milliseconds) refuses a finer duration, naming the option and
 * the two values it could have meant, instead of storing another value; a whole value reads back unchanged from
 * the kernel (getsockopt).
 */
class WholeUnitOptionsTest {
    @Test
    void fractionsAreRefusedAndWholeValuesReadBackUnchanged() throws Exception {
        try (TcpListener listener = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             TcpSocket client = TcpSocket.connect(listener.localAddress());
             TcpSocket server = listener.accept()) {
            for (TcpOption<Duration> o : java.util.List.of(TcpOption.TCP_KEEPIDLE, TcpOption.TCP_KEEPINTVL, TcpOption.TCP_LINGER2)) {
                Duration before = client.option(o);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> client.setOption(o, Duration.ofMillis(1500)));
                assertTrue(e.getMessage().startsWith(o.name() + " takes whole seconds") && e.getMessage().contains("PT1S or PT2S"),
                        e.getMessage());
                assertEquals(before, client.option(o), o.name() + " changed by a refused value");
                client.setOption(o, Duration.ofSeconds(2));
                assertEquals(Duration.ofSeconds(2), client.option(o), o.name());
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> client.setOption(TcpOption.SO_LINGER, Duration.ofMillis(2500)));
            assertTrue(e.getMessage().startsWith("SO_LINGER takes whole seconds"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> client.setOption(TcpOption.TCP_USER_TIMEOUT, Duration.ofNanos(1_500_500_000L)));
            assertTrue(e.getMessage().startsWith("TCP_USER_TIMEOUT takes whole milliseconds"), e.getMessage());
            client.setOption(TcpOption.TCP_USER_TIMEOUT, Duration.ofMillis(1500));
            assertEquals(Duration.ofMillis(1500), client.option(TcpOption.TCP_USER_TIMEOUT));
            client.close(CloseMode.ABORT);
            server.close(CloseMode.RELEASE);
        }
    }
}
