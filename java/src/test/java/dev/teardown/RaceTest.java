package dev.teardown;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Races: eight threads run at least a million random operations (read, write, close in every mode and
 * asynchronously, dup, setsockopt, TCP_INFO, shutdownOutput, connect) on shared sockets while canary files
 * stay open. Every operation is cheap and bounded (reads wait at most 2 ms, graceful and linger closes at
 * most 30 ms) and a watchdog fails the run if any one takes longer than 5 s. After the run: 0 canaries
 * disturbed, 0 descriptors closed twice (close(2) calls through {@link CloseHook} equal the descriptors
 * created), the fd count back where it started. Prints the operation count and rate.
 */
class RaceTest {
    static final long OPERATIONS = 1_000_000;

    @TempDir
    Path dir;

    @Test
    @Timeout(180)
    void aMillionRandomOperationsOnSharedSocketsLoseNoDescriptor() throws Exception {
        RaceHarness.Result r = new RaceHarness(new RaceHarness.Config()
                .operations(OPERATIONS)
                .maxConnections(10_000)
                .opBound(Duration.ofSeconds(5))).run(dir);
        assertTrue(r.operations() >= OPERATIONS, "ran " + r.operations());
        for (String op : new String[] {"read", "write", "dup", "setsockopt", "tcpInfo", "connect", "closeAsync",
                "close:RELEASE", "close:SHUTDOWN", "close:ABORT", "close:GRACEFUL", "close:LINGER"}) {
            assertTrue(r.count(op) > 100, op + " must be exercised: " + r.ops());
        }
        System.out.printf("RaceTest: %,d operations at %,.0f ops/s; %,d descriptors created and closed once each%n",
                r.operations(), r.opsPerSecond(), r.descriptorsCreated());
    }
}
