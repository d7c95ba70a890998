package dev.teardown.snippets;

import dev.teardown.CloseMode;
import dev.teardown.CloseOutcome;
import dev.teardown.jdk.JdkSockets;
import java.io.IOException;
import java.nio.channels.SocketChannel;

/** The example in JdkSockets' Javadoc; compiled and run by SnippetsTest. */
public final class JdkSnippets {
    private JdkSnippets() {}

    /** Closes a JDK channel with FIN now for every holder (the CLOSE_WAIT-leak fix), through the JDK's own API. */
    public static CloseOutcome shutdownAndClose(SocketChannel channel) throws IOException {
        // @start region="close-channel"
        CloseOutcome outcome = JdkSockets.close(channel, CloseMode.SHUTDOWN);
        // the channel is closed (channel.isOpen() is false); outcome.sent() says what went on the wire
        // @end
        return outcome;
    }
}
