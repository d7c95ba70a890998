package dev.teardown.examples;

/** One runnable teardown scenario: it acts, prints a timeline through {@link Timeline}, and ends with a verdict. */
interface Scenario {
    /** The name on the command line, e.g. {@code close-wait-leak}. */
    String name();

    /** One line saying what it shows. */
    String summary();

    /** Runs it. The verdict's checks use {@code ss} as the observer, besides teardown's own table. */
    Verdict run(Timeline t) throws Exception;
}
