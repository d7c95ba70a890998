package dev.teardown.bench;

import org.openjdk.jmh.annotations.Param;

/** Close-path latency of {@link Client#TEARDOWN_FAST}; see {@link CloseLatency} and {@link Floor}. */
public class TeardownFastClose extends CloseLatency {
    @Param({"client-first", "shutdown", "abort"})
    public String mode;

    @Override
    protected String clientName() {
        return Client.TEARDOWN_FAST;
    }

    @Override
    protected String modeName() {
        return mode;
    }
}
