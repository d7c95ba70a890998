package dev.teardown.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every scenario of {@code ./teardown demo} as an integration test: its verdict, whose checks observe the
 * kernel through {@code ss}, must be PASS. Scenarios that need a private network namespace run as root (CI)
 * and are skipped elsewhere with the reason printed.
 */
class ScenariosTest {
    @ParameterizedTest
    @ValueSource(strings = {"close-wait-leak", "fin-wait2-orphan", "fin-wait2-half-close", "time-wait", "abort",
        "unread-data-rst", "linger", "port-exhaustion"})
    void scenarioPasses(String name) throws Exception {
        Scenario s = Demo.find(name);
        if (name.equals("port-exhaustion") && Netns.unavailableReason() != null) {
            String ci = System.getenv("CI");
            if (ci == null || ci.isEmpty()) {
                System.out.println("SKIPPED " + name + ": " + Netns.unavailableReason());
                Assumptions.abort(Netns.unavailableReason());
            }
        }
        Verdict v = Demo.run(s);
        assertTrue(v.passed(), name + ": " + v.failures());
    }
}
