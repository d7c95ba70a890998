package dev.teardown.snippets;

import dev.teardown.CloseMode;
import dev.teardown.CloseOutcome;
import dev.teardown.TcpException;
import dev.teardown.TcpSocket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** The examples in TcpSocket's, CloseMode's and CloseOutcome's Javadoc; compiled and run by SnippetsTest. */
public final class CloseSnippets {
    private CloseSnippets() {}

    /** A client that sends a request, then closes with a named mode and reads what the close did. */
    public static CloseOutcome requestThenClose(InetSocketAddress server) throws TcpException {
        // @start region="close"
        TcpSocket socket = TcpSocket.connect(server);
        socket.write(ByteBuffer.wrap("PING\n".getBytes(StandardCharsets.US_ASCII)));
        // FIN now, read what the peer still sends (up to 2 s), then close: nothing it sent is lost
        CloseOutcome outcome = socket.close(CloseMode.graceful(Duration.ofSeconds(2)));
        switch (outcome.sent()) {
            case FIN -> System.out.println("orderly: " + outcome.detail());
            case RST, FIN_THEN_RST -> System.out.println("reset: " + outcome.detail());
            case NOTHING -> System.out.println("another holder keeps it open: " + outcome.referencesLeft());
        }
        // @end
        return outcome;
    }
}
