package dev.teardown.examples;

import java.util.ArrayList;
import java.util.List;

/** The outcome of a scenario: each check it made, and one line saying what was shown. */
final class Verdict {
    private final List<String> failures = new ArrayList<>();
    private final List<String> passes = new ArrayList<>();

    /** Records a check; {@code what} says what should hold, {@code seen} what was observed. */
    Verdict check(boolean ok, String what, Object seen) {
        (ok ? passes : failures).add(what + " (seen: " + seen + ")");
        return this;
    }

    boolean passed() {
        return failures.isEmpty() && !passes.isEmpty();
    }

    List<String> failures() {
        return failures;
    }

    List<String> passes() {
        return passes;
    }

    /** The verdict line: PASS with the summary of what was shown, or FAIL with what did not hold. */
    String line(String shown) {
        return passed() ? "VERDICT: PASS: " + shown : "VERDICT: FAIL: " + String.join("; ", failures);
    }
}
