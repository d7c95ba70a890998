package dev.teardown.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.teardown.CloseMode;
import dev.teardown.TcpListener;
import dev.teardown.TcpSocket;
import dev.teardown.inspect.AllocationSites;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

/**
 * The {@link NoLeakedSockets} extension, run on sample test classes through JUnit's {@link EngineTestKit}: a test
 * that leaves a socket in CLOSE_WAIT fails with the socket's descriptor, state, addresses and allocation site; a
 * test that leaks a file descriptor fails listing it; a clean test passes, and so does one whose socket is closed
 * by another thread within the settle time. The samples are nested classes (surefire does not run those by
 * itself) and do nothing unless run from here.
 */
class NoLeakedSocketsTest {
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    static volatile boolean viaTestKit;
    /** What the samples leak on purpose, kept reachable (the safety net must not close it) and closed afterwards. */
    static final List<AutoCloseable> LEAKED = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeWhatTheSamplesLeaked() throws Exception {
        List<AutoCloseable> all = new ArrayList<>(LEAKED);
        Collections.reverse(all);
        for (AutoCloseable c : all) {
            c.close();
        }
        LEAKED.clear();
        AllocationSites.disable();
    }

    /**
     * Sockets other test classes left unreachable may be released by the safety net at any moment, which would
     * lower the descriptor count in the middle of a sample test and hide the leak it plants. Collect them first.
     */
    @BeforeEach
    void letTheSafetyNetSettle() throws InterruptedException {
        long seen;
        int quiet = 0;
        do {
            seen = dev.teardown.SafetyNet.collected();
            System.gc();
            Thread.sleep(30);
            quiet = dev.teardown.SafetyNet.collected() == seen ? quiet + 1 : 0;
        } while (quiet < 3);
    }

    private static EngineExecutionResults run(Class<?> sample) {
        viaTestKit = true;
        try {
            return EngineTestKit.engine("junit-jupiter").selectors(selectClass(sample)).execute();
        } finally {
            viaTestKit = false;
        }
    }

    private static Throwable onlyFailure(EngineExecutionResults r) {
        r.testEvents().assertStatistics(s -> s.started(1).failed(1).succeeded(0));
        Event failed = r.testEvents().failed().list().get(0);
        return failed.getPayload(org.junit.platform.engine.TestExecutionResult.class).orElseThrow().getThrowable()
                .orElseThrow();
    }

    // ---- the extension's own checks ----

    @Test
    void aTestLeavingASocketInCloseWaitFailsListingItsStateAddressesAndAllocationSite() {
        Throwable t = onlyFailure(run(LeavesCloseWait.class));
        String m = t.getMessage();
        System.out.println("NoLeakedSockets says:\n" + m);
        assertInstanceOf(AssertionError.class, t);
        assertTrue(m.contains("1 socket of this process left in CLOSE_WAIT"), m);
        assertTrue(m.contains("TCP CLOSE_WAIT 127.0.0.1:" + LeavesCloseWait.port + " -> 127.0.0.1:"), m);
        assertTrue(m.contains("opened at dev.teardown.junit.NoLeakedSocketsTest$LeavesCloseWait.leak("), m);
        assertTrue(m.contains("descriptor more than before the test"), "the socket is also a leaked descriptor: " + m);
    }

    @Test
    void aTestLeakingAFileDescriptorFailsListingIt() throws Exception {
        // made here: the JDK's first temporary file opens descriptors it keeps (SecureRandom, a name-service socket)
        LeaksAFile.path = Files.createTempFile("teardown-leak", ".txt").toRealPath();
        LEAKED.add(() -> Files.deleteIfExists(LeaksAFile.path));
        Throwable t = onlyFailure(run(LeaksAFile.class));
        String m = t.getMessage();
        assertTrue(m.contains("1 descriptor more than before the test"), m);
        assertTrue(m.contains(LeaksAFile.path.toString()), "names the file: " + m);
        assertTrue(m.contains("allocation sites not tracked"), m);
    }

    @Test
    void aJdkSocketLeftInCloseWaitFailsToo() {
        String m = onlyFailure(run(LeavesJdkCloseWait.class)).getMessage();
        assertTrue(m.contains("left in CLOSE_WAIT") && m.contains("TCP CLOSE_WAIT"), m);
    }

    @Test
    void aCleanTestPasses() {
        run(Clean.class).testEvents().assertStatistics(s -> s.started(1).succeeded(1).failed(0));
    }

    @Test
    void aSocketClosedByAnotherThreadWithinTheSettleTimePasses() {
        run(ClosesLate.class).testEvents().assertStatistics(s -> s.started(1).succeeded(1).failed(0));
    }

    @Test
    void settleTimeMustNotBeNegative() {
        assertThrows(IllegalArgumentException.class, () -> new NoLeakedSockets().settleFor(Duration.ofMillis(-1)));
        assertEquals(Duration.ofSeconds(2), new NoLeakedSockets().settleFor(Duration.ofSeconds(2)).settle());
    }

    // ---- the samples ----

    static class LeavesCloseWait {
        @RegisterExtension
        static NoLeakedSockets noLeaks = new NoLeakedSockets().settleFor(Duration.ofMillis(300)).trackingAllocationSites();
        static volatile int port;

        @Test
        void leak() throws Exception {
            assumeTrue(viaTestKit);
            try (TcpListener l = TcpListener.bind(LOOPBACK)) {
                port = l.localAddress().getPort();
                TcpSocket client = TcpSocket.connect(l.localAddress(), Duration.ofSeconds(5));
                TcpSocket server = l.accept(Duration.ofSeconds(5));
                dev.teardown.internal.SocketSites.record(server.fd()); // what TcpSocket does itself once it records allocation sites
                LEAKED.add(server);
                client.close(CloseMode.SHUTDOWN); // the peer closes; the server end never does
            }
        }
    }

    static class LeaksAFile {
        @RegisterExtension
        static NoLeakedSockets noLeaks = new NoLeakedSockets().settleFor(Duration.ofMillis(200));
        static volatile Path path;

        @Test
        void leak() throws Exception {
            assumeTrue(viaTestKit);
            LEAKED.add(FileChannel.open(path));
        }
    }

    @ExtendWith(NoLeakedSockets.class)
    static class LeavesJdkCloseWait {
        @Test
        void leak() throws Exception {
            assumeTrue(viaTestKit);
            try (ServerSocketChannel l = ServerSocketChannel.open().bind(LOOPBACK)) {
                SocketChannel client = SocketChannel.open(l.getLocalAddress());
                SocketChannel server = l.accept();
                LEAKED.add(server);
                client.close();
            }
        }
    }

    @ExtendWith(NoLeakedSockets.class)
    static class Clean {
        @Test
        void closesEverything() throws Exception {
            assumeTrue(viaTestKit);
            try (TcpListener l = TcpListener.bind(LOOPBACK)) {
                TcpSocket client = TcpSocket.connect(l.localAddress(), Duration.ofSeconds(5));
                TcpSocket server = l.accept(Duration.ofSeconds(5));
                client.close(CloseMode.SHUTDOWN);
                assertEquals(-1, server.read(ByteBuffer.allocate(8), Duration.ofSeconds(5)));
                server.close();
            }
        }
    }

    static class ClosesLate {
        @RegisterExtension
        static NoLeakedSockets noLeaks = new NoLeakedSockets().settleFor(Duration.ofSeconds(2));

        @Test
        void closesFromAnotherThreadJustAfterTheTest() throws Exception {
            assumeTrue(viaTestKit);
            try (TcpListener l = TcpListener.bind(LOOPBACK)) {
                TcpSocket client = TcpSocket.connect(l.localAddress(), Duration.ofSeconds(5));
                TcpSocket server = l.accept(Duration.ofSeconds(5));
                client.close(CloseMode.SHUTDOWN);
                Thread t = new Thread(() -> {
                    try {
                        Thread.sleep(200);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    server.close();
                });
                t.start();
            }
        }
    }
}
