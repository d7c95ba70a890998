package dev.teardown;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.teardown.testing.Requirements;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Says, on the JDK 17 run, whether the virtual-thread tests (src/test21) run too: they need a JDK 21+, which
 * {@code ./teardown test} finds and passes as {@code -Dteardown.jdk21.home}. Without one this test is skipped
 * with that reason printed (and fails in CI, where they must run).
 */
class Jdk21GateTest {
    @Test
    void theVirtualThreadTestsRunOnAJdk21OrNewer() {
        String home = System.getProperty("teardown.jdk21.home", "");
        Requirements.require(!home.isBlank(), "a JDK 21+ for the virtual-thread tests (./teardown test looks in"
                + " /usr/lib/jvm and $TEARDOWN_JDK21; or pass -Dteardown.jdk21.home=<jdk>): they were not run");
        assertTrue(Files.isExecutable(Path.of(home, "bin", "java")), "no bin/java in teardown.jdk21.home=" + home);
        System.out.println("virtual-thread tests run on " + home);
    }
}
