package dev.teardown.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code ./teardown demo jdk-413} and {@code netty-413} as tests: with curl as the client, teardown's graceful close
 * must deliver 5 of 5 whole responses, and the plain close must lose one at least once in up to 20 tries (or the
 * scenario proves nothing). Needs curl: skipped with the reason printed outside CI, failed in CI.
 */
class Http413Test {
    @ParameterizedTest
    @ValueSource(strings = {"jdk-413", "netty-413"})
    @Timeout(300)
    void gracefulDeliversEveryResponseThePlainCloseCuts(String name) throws Exception {
        Scenario s = Demo.find(name);
        String why = s.unavailableReason();
        if (why != null) {
            if (Tools.inCi()) {
                Assertions.fail(name + " cannot run in CI: " + why);
            }
            System.out.println("SKIPPED " + name + ": " + why);
            Assumptions.abort(why);
        }
        Verdict v = Demo.run(s);
        assertTrue(v.passed(), name + ": " + v.failures());
    }
}
