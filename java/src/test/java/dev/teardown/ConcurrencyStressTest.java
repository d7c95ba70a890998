package dev.teardown;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Eight threads close, read (blocking reads included), write, dup and reconnect shared sockets at random
 * for a few seconds while canary files stay open. Afterwards: no canary was disturbed (same path behind the
 * same descriptor number, same content), the process has exactly the descriptors it started with, every
 * handle was closed exactly once, and the number of real close(2) calls ({@link CloseHook#count()}) equals
 * the number of descriptors the library created during the test. {@link RaceHarness} runs it;
 * {@link RaceTest} runs the million-operation variant.
 */
class ConcurrencyStressTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(60)
    void concurrentCloseReadWriteDupNeverDisturbsACanaryNorLeaks() throws Exception {
        RaceHarness.Result r = new RaceHarness(new RaceHarness.Config().runFor(6_000).blockingReads(true)).run(dir);
        assertTrue(r.count("close") > 200 && r.count("dup") > 200 && r.count("read") > 1000 && r.count("write") > 1000
                && r.count("read-blocking") > 10, "the run must exercise every operation: " + r.ops());
    }
}
