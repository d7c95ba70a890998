package dev.teardown.netty.snippets;

import dev.teardown.CloseMode;
import dev.teardown.CloseOutcome;
import dev.teardown.netty.NettyTeardown;
import io.netty.channel.Channel;
import io.netty.util.concurrent.Future;
import java.time.Duration;

/** The example in NettyTeardown's Javadoc; compiled and run by NettySnippetsTest. */
public final class NettySnippets {
    private NettySnippets() {}

    /** Ends a Netty channel's connection gracefully: FIN after what was written, the peer's rest read, then close. */
    public static Future<CloseOutcome> closeGracefully(Channel channel) {
        // @start region="close-channel"
        Future<CloseOutcome> closed = NettyTeardown.close(channel, CloseMode.graceful(Duration.ofSeconds(5)));
        closed.addListener(f -> {                      // on the channel's event loop, once Netty has closed it
            if (f.isSuccess()) {
                CloseOutcome outcome = closed.getNow();
                System.out.println(outcome.sent() + ": " + outcome.detail());
            }
        });
        // @end
        return closed;
    }
}
