package dev.teardown;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * No {@code jdk.VirtualThreadPinned} event while virtual threads wait in read, write, accept, connect, graceful
 * and linger. A control shows the recording does catch a pinned park (one inside a class initializer).
 */
@Timeout(60)
class VirtualThreadPinningTest {
    @TempDir
    Path dir;

    /** Parks for 50 ms in its static initializer: a virtual thread is pinned there. */
    static final class PinsInInit {
        static {
            java.util.concurrent.locks.LockSupport.parkNanos(50_000_000L);
        }

        static void touch() {}
    }

    private static void onVirtualThread(VirtualThreadParkingTest.ThrowingRunnable body) throws Exception {
        Throwable[] failure = new Throwable[1];
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure[0] = e;
            }
        });
        assertTrue(t.join(Duration.ofSeconds(20)), "virtual thread did not finish");
        if (failure[0] != null) {
            throw new AssertionError(failure[0]);
        }
    }

    private static void later(long ms, VirtualThreadParkingTest.ThrowingRunnable r) {
        Thread.ofPlatform().daemon().start(() -> {
            Net.sleepMillis(ms);
            try {
                r.run();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }

    @Test
    void waitsInTeardownNeverPinACarrier() throws Exception {
        Path file = dir.resolve("pinned.jfr");
        // teardown's classes and binding initialized on a platform thread first: a class initializer that contends a
        // monitor pins a virtual thread once, on first use, which is not a wait in teardown
        try (Net.Pair warm = Net.Pair.open(Net.V4)) {
            warm.client().tcpInfo();
        }
        try (Recording rec = new Recording()) {
            rec.enable("jdk.VirtualThreadPinned").withThreshold(Duration.ZERO).withStackTrace();
            rec.start();

            try (Net.Pair p = Net.Pair.open(Net.V4);
                 Net.Pair w = Net.Pair.open(TcpListener.builder().option(TcpOption.SO_RCVBUF, 4096), Net.V4);
                 TcpListener l = TcpListener.bind(Net.anyPort(Net.V4));
                 Net.Pair g = Net.Pair.open(Net.V4);
                 Net.Pair lg = Net.Pair.open(Net.V4)) {
                later(50, () -> p.client().write(ByteBuffer.wrap(new byte[] {1})));
                onVirtualThread(() -> assertEquals(1, p.server().read(ByteBuffer.allocate(8))));

                w.client().setOption(TcpOption.SO_SNDBUF, 4096);
                later(50, () -> Net.drainToEof(w.server(), Duration.ofSeconds(10)));
                onVirtualThread(() -> {
                    w.client().write(ByteBuffer.allocate(1 << 20));
                    w.client().close(CloseMode.SHUTDOWN);
                });

                later(50, () -> TcpSocket.connect(l.localAddress(), Duration.ofSeconds(5)).close(CloseMode.ABORT));
                onVirtualThread(() -> l.accept().close(CloseMode.RELEASE)); // an RST could reach the connect before it returns

                onVirtualThread(() -> TcpSocket.connect(l.localAddress()).close(CloseMode.ABORT));
                onVirtualThread(() -> TcpSocket.connect(l.localAddress(), Duration.ofSeconds(5)).close(CloseMode.ABORT));

                later(50, () -> g.client().close(CloseMode.RELEASE));
                onVirtualThread(() -> assertFalse(g.server().close(CloseMode.graceful(Duration.ofSeconds(5))).rstSent()));

                lg.server().write(ByteBuffer.allocate(100_000));
                later(50, () -> Net.drainToEof(lg.client(), Duration.ofSeconds(10)));
                onVirtualThread(() -> assertFalse(lg.server().close(CloseMode.linger(Duration.ofSeconds(5))).rstSent()));
            }
            onVirtualThread(PinsInInit::touch); // the control

            rec.stop();
            rec.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals("jdk.VirtualThreadPinned")).collect(Collectors.toList());
        List<RecordedEvent> control = events.stream()
                .filter(e -> e.getStackTrace() != null && e.getStackTrace().getFrames().stream()
                        .anyMatch(f -> f.getMethod().getType().getName().endsWith("PinsInInit")))
                .collect(Collectors.toList());
        assertFalse(control.isEmpty(), "the recording must catch the control's pinned park: " + events);
        List<RecordedEvent> ours = events.stream().filter(e -> !control.contains(e)).collect(Collectors.toList());
        assertTrue(ours.isEmpty(), "virtual threads pinned while waiting in teardown: " + ours);
        System.out.println("VirtualThreadPinningTest: 0 pinned parks in read, write, accept, connect, graceful and"
                + " linger; the control's pinned park was recorded (" + control.size() + " event)");
    }
}
