package dev.teardown.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every scenario of {@code ./teardown demo} as an integration test: its verdict, whose checks observe the
 * kernel through {@code ss} (and, where a scenario captures, tcpdump and nstat), must be PASS. A scenario that
 * cannot run here (no root for a private network namespace, a missing tool) is skipped with the reason printed,
 * except in CI (environment variable CI set), where that fails.
 */
class ScenariosTest {
    @ParameterizedTest
    @ValueSource(strings = {"close-wait-leak", "fin-wait2-orphan", "fin-wait2-half-close", "time-wait", "abort",
        "unread-data-rst", "linger", "port-exhaustion", "four-way-close", "fin-wait1-dead-peer",
        "fin-timeout-vs-time-wait", "tw-buckets-overflow"})
    void scenarioPasses(String name) throws Exception {
        Scenario s = Demo.find(name);
        assertTrue(s != null, "no scenario named " + name);
        String why = s.unavailableReason();
        if (why != null) {
            if (Tools.inCi()) {
                fail(name + " cannot run in CI: " + why);
            }
            System.out.println("SKIPPED " + name + ": " + why);
            Assumptions.abort(why);
        }
        Verdict v = Demo.run(s);
        assertTrue(v.passed(), name + ": " + v.failures());
    }
}
