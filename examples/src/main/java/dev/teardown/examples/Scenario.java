package dev.teardown.examples;

/** One runnable teardown scenario: it acts, prints a timeline through {@link Timeline}, and ends with a verdict. */
interface Scenario {
    /** The name on the command line, e.g. {@code close-wait-leak}. */
    String name();

    /** One line saying what it shows. */
    String summary();

    /**
     * Null when the scenario can run here, otherwise what it needs (root, a tool). Where it cannot run, the demo
     * prints the reason and the test skips, except in CI, where the test fails.
     */
    default String unavailableReason() {
        return null;
    }

    /** Runs it. The verdict's checks use {@code ss} as the observer, besides teardown's own table. */
    Verdict run(Timeline t) throws Exception;
}
