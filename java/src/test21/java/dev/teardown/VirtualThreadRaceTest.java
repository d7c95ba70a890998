package dev.teardown;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@link RaceTest} with virtual-thread racers on 2 carriers: the same guarantees when every wait parks. */
class VirtualThreadRaceTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(180)
    void racingVirtualThreadsLoseNoDescriptor() throws Exception {
        VirtualThreads.warmCarrierPollers(); // the harness's baseline is taken on this platform thread
        RaceHarness.Result r = new RaceHarness(new RaceHarness.Config()
                .operations(300_000)
                .maxConnections(5_000)
                .blockingReads(true)
                .racers((body, name) -> Thread.ofVirtual().name(name).unstarted(body))
                .opBound(Duration.ofSeconds(5))).run(dir);
        assertTrue(r.operations() >= 300_000, "ran " + r.operations());
        for (String op : new String[] {"read", "write", "dup", "closeAsync", "close:RELEASE", "close:SHUTDOWN",
                "close:ABORT", "close:GRACEFUL", "close:LINGER"}) {
            assertTrue(r.count(op) > 100, op + " must be exercised: " + r.ops());
        }
        System.out.printf("VirtualThreadRaceTest: %,d operations at %,.0f ops/s on virtual threads; %,d descriptors"
                + " created and closed once each%n", r.operations(), r.opsPerSecond(), r.descriptorsCreated());
    }
}
