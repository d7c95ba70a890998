package dev.teardown;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.teardown.snippets.CensusSnippets;
import dev.teardown.snippets.CloseSnippets;
import dev.teardown.snippets.JUnitSnippets;
import dev.teardown.snippets.JdkSnippets;
import dev.teardown.snippets.ServerSnippets;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.engine.discovery.DiscoverySelectors;

/**
 * The code examples of the Javadoc (regions of dev.teardown.snippets, copied into the doc comments and kept equal by
 * JavadocExamplesTest) run on real sockets, so that they stay true as well as compiling: each checked against what
 * the kernel or a JDK peer saw.
 */
class SnippetsTest {
    private static final InetSocketAddress ANY_LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    @Test
    void closeWithAModeAndReadTheOutcome() throws Exception {
        try (ServerSocket peer = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
            Thread replier = new Thread(() -> {
                try (Socket s = peer.accept()) {
                    byte[] line = new byte[5];
                    s.getInputStream().readNBytes(line, 0, 5);
                    s.getOutputStream().write("PONG\n".getBytes(StandardCharsets.US_ASCII));
                    s.getInputStream().read(); // our FIN
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            replier.start();
            CloseOutcome outcome = CloseSnippets.requestThenClose((InetSocketAddress) peer.getLocalSocketAddress());
            replier.join(10_000);
            assertEquals(CloseOutcome.Sent.FIN, outcome.sent(), outcome.detail());
            assertEquals(5, outcome.bytesDrained(), "the peer's PONG was read, not lost: " + outcome.detail());
        }
    }

    @Test
    void theAcceptLoopServesUntilTheListenerCloses() throws Exception {
        ExecutorService workers = Executors.newFixedThreadPool(2);
        AtomicInteger served = new AtomicInteger();
        TcpListener listener = ServerSnippets.bind(ANY_LOOPBACK);
        assertEquals(true, listener.isOpen());
        Thread server = new Thread(() -> ServerSnippets.serve(listener, workers, c -> {
            try {
                ByteBuffer b = ByteBuffer.allocate(1);
                c.read(b);
                c.write(b.flip());
                served.incrementAndGet();
            } catch (TcpException e) {
                throw new IllegalStateException(e);
            }
        }));
        server.start();
        for (int i = 0; i < 3; i++) {
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), listener.localAddress().getPort())) {
                client.setSoTimeout(10_000);
                client.getOutputStream().write('a' + i);
                assertEquals('a' + i, client.getInputStream().read());
                assertEquals(-1, client.getInputStream().read(), "the graceful close's FIN");
            }
        }
        listener.close();
        server.join(10_000);
        assertFalse(server.isAlive(), "the loop should end when the listener is closed");
        workers.shutdown();
        assertTrue(workers.awaitTermination(10, TimeUnit.SECONDS));
        assertEquals(3, served.get());
    }

    @Test
    void closingAJdkChannel() throws Exception {
        try (ServerSocket peer = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
             SocketChannel channel = SocketChannel.open(peer.getLocalSocketAddress());
             Socket accepted = peer.accept()) {
            CloseOutcome outcome = JdkSnippets.shutdownAndClose(channel);
            assertEquals(CloseOutcome.Sent.FIN, outcome.sent(), outcome.detail());
            assertFalse(channel.isOpen());
            accepted.setSoTimeout(10_000);
            assertEquals(-1, accepted.getInputStream().read(), "the peer reads the FIN");
        }
    }

    @Test
    void theCensusCountsACloseWaitSocket() throws Exception {
        try (TcpListener listener = TcpListener.bind(ANY_LOOPBACK);
             TcpSocket client = TcpSocket.connect(listener.localAddress());
             TcpSocket server = listener.accept()) {
            client.close(CloseMode.SHUTDOWN);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (server.state() != TcpState.CLOSE_WAIT && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertTrue(CensusSnippets.closeWaitCensus() >= 1, "the CLOSE_WAIT socket is counted");
            server.close(CloseMode.SHUTDOWN);
        }
    }

    @Test
    void theJUnitExtensionPassesAClosingTestAndFailsALeakingOne() throws Exception {
        EngineTestKit.engine("junit-jupiter").selectors(DiscoverySelectors.selectClass(
                Class.forName("dev.teardown.snippets.JUnitSnippets$ServerTestExample"))).execute()
                .testEvents().assertStatistics(s -> s.succeeded(1).failed(0));
        EngineTestKit.engine("junit-jupiter").selectors(DiscoverySelectors.selectClass(
                Class.forName("dev.teardown.snippets.JUnitSnippets$ConfiguredTestExample"))).execute()
                .testEvents().assertStatistics(s -> s.succeeded(1).failed(0));
        try {
            EngineTestKit.engine("junit-jupiter").selectors(DiscoverySelectors.selectClass(
                    Class.forName("dev.teardown.snippets.JUnitSnippets$LeakingTestExample"))).execute()
                    .testEvents().assertStatistics(s -> s.succeeded(0).failed(1));
        } finally {
            if (JUnitSnippets.LEAKED[0] != null) {
                JUnitSnippets.LEAKED[0].close(CloseMode.ABORT);
            }
        }
    }
}
