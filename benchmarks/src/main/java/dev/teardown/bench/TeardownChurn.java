package dev.teardown.bench;

import org.openjdk.jmh.annotations.Param;

/** Connect/close churn with teardown's TcpSocket; see {@link Churn} and {@link Variant}. */
public class TeardownChurn extends Churn {
    @Param({"client-first", "server-first", "abort", "graceful", "shutdown"})
    public String variant;

    @Override
    protected String clientName() {
        return Client.TEARDOWN;
    }

    @Override
    protected String variantName() {
        return variant;
    }
}
