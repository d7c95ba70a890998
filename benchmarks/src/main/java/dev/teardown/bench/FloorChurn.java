package dev.teardown.bench;

import org.openjdk.jmh.annotations.Param;

/** Churn (connect, close) with {@link Client#FLOOR}; see {@link Churn}. Run with {@code -p exchange=false}. */
public class FloorChurn extends Churn {
    @Param({"abort"})
    public String variant;

    @Override
    protected String clientName() {
        return Client.FLOOR;
    }

    @Override
    protected String variantName() {
        return variant;
    }
}
