package dev.teardown.bench;

import org.openjdk.jmh.annotations.Param;

/** Connect/close churn with a JDK java.net.Socket; see {@link Churn} and {@link Variant}. */
public class SocketChurn extends Churn {
    @Param({"client-first", "server-first", "abort", "graceful"})
    public String variant;

    @Override
    protected String clientName() {
        return Client.SOCKET;
    }

    @Override
    protected String variantName() {
        return variant;
    }
}
