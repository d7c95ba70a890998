package dev.teardown;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.teardown.inspect.AllocationSites;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the {@link SafetyNet} says when it releases a socket that was never closed: a WARNING to the
 * {@code dev.teardown} logger naming the socket, its descriptor and what the release sent, and (once
 * {@link TcpSocket} records allocation sites) where the socket was opened.
 */
class SafetyNetReportTest {
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
                records.add(r);
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };
    private final Logger log = Logger.getLogger("dev.teardown");

    @BeforeEach
    void capture() {
        log.addHandler(capture);
    }

    @AfterEach
    void release() {
        log.removeHandler(capture);
        AllocationSites.disable();
    }

    /** Leaks a connected client, lets the GC find it, and returns the safety net's report of it. */
    private String leakAndAwaitReport() throws Exception {
        try (TcpListener l = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            int port = leakOneClient(l);
            TcpSocket server = l.accept(Duration.ofSeconds(5));
            long end = System.nanoTime() + 10_000_000_000L;
            String report = null;
            while (report == null && System.nanoTime() < end) {
                System.gc();
                Net.sleepMillis(20);
                report = records.stream().map(LogRecord::getMessage).filter(m -> m.contains(":" + port + " ")
                        || m.contains("never closed")).findFirst().orElse(null);
            }
            server.close(CloseMode.ABORT);
            assertTrue(report != null, "the safety net reported the leaked socket");
            return report;
        }
    }

    private static int leakOneClient(TcpListener l) throws Exception {
        TcpSocket leaked = TcpSocket.connect(l.localAddress(), Duration.ofSeconds(5));
        return leaked.localAddress().getPort();
    }

    @Test
    void theReportNamesTheSocketItsDescriptorAndWhatWasSent() throws Exception {
        String report = leakAndAwaitReport();
        System.out.println("safety net report: " + report);
        assertTrue(report.matches("teardown: socket to /127\\.0\\.0\\.1:\\d+ \\(fd \\d+\\) was never closed; the safety net"
                + " released it: FIN sent: last reference closed"), report);
        assertEquals(Level.WARNING, records.get(0).getLevel());
    }

    @Test
    void withTrackingOnTheReportNamesWhereTheSocketWasOpened() throws Exception {
        AllocationSites.enable();
        String report = leakAndAwaitReport();
        assertTrue(report.contains("SafetyNetReportTest.leakOneClient"), "the allocation site: " + report);
    }
}
