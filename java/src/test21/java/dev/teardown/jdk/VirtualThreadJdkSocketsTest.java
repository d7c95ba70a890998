package dev.teardown.jdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.teardown.CloseMode;
import dev.teardown.CloseOutcome;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * JdkSockets' waits (graceful's drain through the channel, linger's send-queue checks) on virtual threads: no
 * {@code jdk.VirtualThreadPinned} event, while a control's pinned park is recorded.
 */
@Timeout(60)
class VirtualThreadJdkSocketsTest {
    @TempDir
    Path dir;

    static final class PinsInInit {
        static {
            java.util.concurrent.locks.LockSupport.parkNanos(50_000_000L);
        }

        static void touch() {}
    }

    private static <T> T onVirtualThread(Callable<T> body) throws Exception {
        AtomicReference<Object> result = new AtomicReference<>();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                result.set(body.call());
            } catch (Throwable e) {
                result.set(e);
            }
        });
        assertTrue(t.join(Duration.ofSeconds(20)), "virtual thread did not finish");
        if (result.get() instanceof Throwable e) {
            throw new AssertionError(e);
        }
        @SuppressWarnings("unchecked")
        T r = (T) result.get();
        return r;
    }

    private static void later(long ms, Callable<?> r) {
        Thread.ofPlatform().daemon().start(() -> {
            try {
                Thread.sleep(ms);
                r.call();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }

    @Test
    void gracefulAndLingerOnVirtualThreadsNeverPinACarrier() throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        Path file = dir.resolve("pinned.jfr");
        warmUpTheJdksPoller(lo); // its one-time initialization parks pinned in the JDK's own poller threads
        try (Recording rec = new Recording()) {
            rec.enable("jdk.VirtualThreadPinned").withThreshold(Duration.ZERO).withStackTrace();
            rec.start();
            try (ServerSocketChannel ss = ServerSocketChannel.open().bind(new InetSocketAddress(lo, 0))) {
                SocketChannel client = SocketChannel.open(ss.getLocalAddress());
                SocketChannel server = ss.accept();
                later(200, () -> {
                    client.close(); // the peer's FIN, while the drain waits
                    return null;
                });
                CloseOutcome g = onVirtualThread(() -> JdkSockets.close(server, CloseMode.graceful(Duration.ofSeconds(5))));
                assertTrue(g.detail().contains("peer's FIN"), g.toString());

                SocketChannel c2 = SocketChannel.open(ss.getLocalAddress());
                SocketChannel s2 = ss.accept();
                s2.write(ByteBuffer.allocate(100_000));
                later(100, () -> drain(c2));
                CloseOutcome l = onVirtualThread(() -> JdkSockets.close(s2, CloseMode.linger(Duration.ofSeconds(5))));
                assertFalse(l.rstSent(), l.toString());
                c2.close();
            }
            try (ServerSocket ss = new ServerSocket(0, 5, lo); Socket c = new Socket(lo, ss.getLocalPort());
                    Socket a = ss.accept()) {
                later(200, () -> {
                    c.close();
                    return null;
                });
                CloseOutcome g = onVirtualThread(() -> JdkSockets.close(a, CloseMode.graceful(Duration.ofSeconds(5))));
                assertEquals(CloseOutcome.Sent.FIN, g.sent(), g.toString());
            }
            onVirtualThread(() -> {
                PinsInInit.touch(); // the control
                return null;
            });
            rec.stop();
            rec.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals("jdk.VirtualThreadPinned")).collect(Collectors.toList());
        List<RecordedEvent> control = events.stream().filter(e -> e.getStackTrace() != null && e.getStackTrace()
                .getFrames().stream().anyMatch(f -> f.getMethod().getType().getName().endsWith("PinsInInit")))
                .collect(Collectors.toList());
        assertFalse(control.isEmpty(), "the recording must catch the control's pinned park: " + events);
        List<RecordedEvent> ours = events.stream().filter(e -> !control.contains(e)).collect(Collectors.toList());
        assertTrue(ours.isEmpty(), "virtual threads pinned while waiting in JdkSockets: " + ours);
    }

    private static void warmUpTheJdksPoller(InetAddress lo) throws Exception {
        try (ServerSocketChannel ss = ServerSocketChannel.open().bind(new InetSocketAddress(lo, 0));
                SocketChannel c = SocketChannel.open(ss.getLocalAddress()); SocketChannel a = ss.accept()) {
            later(100, () -> c.write(ByteBuffer.wrap(new byte[] {1})));
            assertEquals(1, (int) onVirtualThread(() -> a.read(ByteBuffer.allocate(1))));
            // teardown's binding too: JNA's class initializers may contend a monitor, pinned once, on first use
            dev.teardown.jdk.JdkSockets.tcpInfo(a);
            dev.teardown.jdk.JdkSockets.isPeerClosed(a);
        }
    }

    private static Object drain(SocketChannel c) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(64 * 1024);
        while (c.read(b.clear()) >= 0) {
            // discard
        }
        return null;
    }
}
