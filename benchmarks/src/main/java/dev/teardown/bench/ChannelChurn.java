package dev.teardown.bench;

import org.openjdk.jmh.annotations.Param;

/** Connect/close churn with a JDK SocketChannel; see {@link Churn} and {@link Variant}. */
public class ChannelChurn extends Churn {
    @Param({"client-first", "server-first", "abort", "graceful"})
    public String variant;

    @Override
    protected String clientName() {
        return Client.CHANNEL;
    }

    @Override
    protected String variantName() {
        return variant;
    }
}
