package dev.teardown.snippets;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.teardown.CloseMode;
import dev.teardown.TcpListener;
import dev.teardown.TcpSocket;
import dev.teardown.junit.NoLeakedSockets;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The example in NoLeakedSockets' Javadoc; run through the JUnit engine by SnippetsTest. */
public final class JUnitSnippets {
    private JUnitSnippets() {}

    // @start region="extension"
    @ExtendWith(NoLeakedSockets.class) // fails a test that leaves a socket in CLOSE_WAIT or a descriptor open
    static class ServerTestExample {
        @Test
        void closesEveryConnection() throws Exception {
            try (TcpListener listener = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                 TcpSocket client = TcpSocket.connect(listener.localAddress());
                 TcpSocket server = listener.accept()) {
                client.close(CloseMode.SHUTDOWN);
                server.close(CloseMode.SHUTDOWN); // without it: CLOSE_WAIT, and the test fails
            }
        }
    }
    // @end

    static class ConfiguredTestExample {
        // @start region="settings"
        @RegisterExtension
        static NoLeakedSockets noLeaks = new NoLeakedSockets().settleFor(Duration.ofMillis(200)); // 500 ms by default
        // @end

        @Test
        void nothingOpened() {
            assertNotNull(noLeaks);
        }
    }

    /** A test that forgets to close its side, which the extension fails. */
    @ExtendWith(NoLeakedSockets.class)
    static class LeakingTestExample {
        @Test
        void leavesCloseWait() throws Exception {
            TcpListener listener = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            TcpSocket client = TcpSocket.connect(listener.localAddress());
            TcpSocket server = listener.accept();
            client.close(CloseMode.SHUTDOWN);
            listener.close();
            LEAKED[0] = server;
        }
    }

    /** The leaking test's socket, closed by SnippetsTest afterwards. */
    public static final TcpSocket[] LEAKED = new TcpSocket[1];
}
