package dev.teardown.bench;

import org.openjdk.jmh.annotations.Param;

/** Churn (connect, close) with {@link Client#TEARDOWN_FAST}; see {@link Churn}. Run with {@code -p exchange=false}. */
public class TeardownFastChurn extends Churn {
    @Param({"abort"})
    public String variant;

    @Override
    protected String clientName() {
        return Client.TEARDOWN_FAST;
    }

    @Override
    protected String variantName() {
        return variant;
    }
}
