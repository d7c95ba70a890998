package dev.teardown.bench;

import org.openjdk.jmh.annotations.Param;

/** Close-path latency of teardown's TcpSocket.close(mode); see {@link CloseLatency} and {@link Variant}. */
public class TeardownClose extends CloseLatency {
    @Param({"client-first", "server-first", "shutdown", "abort", "graceful", "linger"})
    public String mode;

    @Override
    protected String clientName() {
        return Client.TEARDOWN;
    }

    @Override
    protected String modeName() {
        return mode;
    }
}
