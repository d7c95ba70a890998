package dev.teardown.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.teardown.CloseMode;
import dev.teardown.CloseOutcome;
import dev.teardown.TcpListener;
import dev.teardown.TcpSocket;
import dev.teardown.testing.Kernel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;

/** A JFR recording of a test run holds teardown's close events and the periodic socket-state counts. */
class TeardownJfrTest {
    private static final Duration T = Duration.ofSeconds(5);

    @Test
    void aRecordingContainsCloseEventsAndSocketStateCounts() throws Exception {
        Path file = Files.createTempFile("teardown-", ".jfr");
        try (TcpListener l = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            TcpSocket stuckPeer = TcpSocket.connect(l.localAddress(), T);
            TcpSocket stuck = l.accept(T); // will sit in CLOSE_WAIT during the recording
            stuckPeer.close(CloseMode.RELEASE);
            Kernel.awaitState(stuck.localAddress().getPort(), stuck.remoteAddress().getPort(), "CLOSE-WAIT", 5000);

            try (Recording r = new Recording()) {
                r.enable(CloseEvent.NAME);
                r.enable(SocketStatesEvent.NAME).withPeriod(Duration.ofMillis(100));
                r.start();
                assertTrue(TeardownJfr.closeEventsEnabled(), "a recording with the event is on");
                assertTrue(TeardownJfr.isRegistered(), "the first check during a recording registers the periodic event");

                TcpSocket c = TcpSocket.connect(l.localAddress(), T);
                TcpSocket s = l.accept(T);
                c.close(CloseMode.SHUTDOWN); // each close through teardown emits one event
                s.close(CloseMode.ABORT);
                // JFR's periodic thread picks up a hook registered mid-recording after its current sleep (<= 1 s)
                Kernel.sleep(1_500);
                r.stop();
                r.dump(file);
            }
            assertFalse(TeardownJfr.closeEventsEnabled(), "no recording: no close events");
            stuck.close(CloseMode.ABORT);

            List<RecordedEvent> events = RecordingFile.readAllEvents(file);
            List<RecordedEvent> closes = events.stream().filter(e -> e.getEventType().getName().equals(CloseEvent.NAME))
                    .collect(Collectors.toList());
            assertEquals(2, closes.size(), closes.toString());
            assertEquals("ABORT", closes.get(1).getString("mode"));
            assertEquals("RST", closes.get(1).getString("sent"));
            RecordedEvent close = closes.get(0);
            assertEquals("SHUTDOWN", close.getString("mode"));
            assertEquals("FIN", close.getString("sent"));
            assertTrue(close.getDuration("elapsed").toNanos() > 0);
            assertTrue(close.getString("remote").endsWith(":" + l.localAddress().getPort()), close.toString());
            assertTrue(close.getString("local").endsWith(":" + close.getString("local").replaceAll(".*:", "")));
            assertEquals(0, close.getInt("referencesLeft"));

            List<RecordedEvent> states = events.stream()
                    .filter(e -> e.getEventType().getName().equals(SocketStatesEvent.NAME)).collect(Collectors.toList());
            assertTrue(states.size() >= 1, "periodic every 100 ms over 1.5 s: " + states.size());
            RecordedEvent last = states.get(states.size() - 1);
            assertTrue(last.getInt("closeWait") >= 1, last.toString());
            assertTrue(last.getInt("listen") >= 1, last.toString());
            assertTrue(last.getInt("total") >= last.getInt("closeWait") + last.getInt("listen"), last.toString());
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
