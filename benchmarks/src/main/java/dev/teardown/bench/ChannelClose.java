package dev.teardown.bench;

import org.openjdk.jmh.annotations.Param;

/** Close-path latency of a JDK SocketChannel; see {@link CloseLatency} and {@link Variant}. */
public class ChannelClose extends CloseLatency {
    @Param({"client-first", "server-first", "abort", "graceful", "linger"})
    public String mode;

    @Override
    protected String clientName() {
        return Client.CHANNEL;
    }

    @Override
    protected String modeName() {
        return mode;
    }
}
