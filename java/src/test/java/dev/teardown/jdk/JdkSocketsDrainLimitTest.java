package dev.teardown.jdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.teardown.CloseMode;
import dev.teardown.CloseOutcome;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;

/** graceful against a peer that never stops sending: the drain limit, not the deadline, ends it with RST. Loopback. */
@Timeout(30)
class JdkSocketsDrainLimitTest {
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void theDrainLimitEndsADrainAgainstAnEndlessSender(boolean async) throws Exception {
        try (ServerSocketChannel ss = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                SocketChannel peer = SocketChannel.open(ss.getLocalAddress())) {
            SocketChannel closer = ss.accept();
            CompletableFuture<Void> flood = CompletableFuture.runAsync(() -> {
                ByteBuffer b = ByteBuffer.allocate(16 * 1024);
                try {
                    for (;;) {
                        peer.write(b.clear());
                    }
                } catch (IOException expected) {
                    // reset by the closer
                }
            });
            CloseMode mode = CloseMode.graceful(Duration.ofSeconds(10), 64 * 1024);
            long t0 = System.nanoTime();
            CloseOutcome o;
            if (async) {
                closer.configureBlocking(false);
                o = JdkSockets.closeAsync(closer, mode).get(10, TimeUnit.SECONDS);
            } else {
                o = JdkSockets.close(closer, mode);
            }
            long took = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(o.drainLimitReached(), o.toString());
            assertFalse(o.deadlineExpired(), o.toString());
            assertTrue(o.rstSent(), o.toString());
            assertEquals(64 * 1024, o.bytesDrained(), "exactly the limit, as TcpSocket's graceful counts: " + o);
            assertTrue(took < 5000, "the limit ended it after " + took + " ms");
            flood.get(5, TimeUnit.SECONDS);
        }
    }
}
