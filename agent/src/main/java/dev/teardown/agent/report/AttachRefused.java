package dev.teardown.agent.report;

/** The report cannot be read from the JVM asked for; the message says why and what to do instead, in one line. */
public final class AttachRefused extends Exception {
    private static final long serialVersionUID = 1L;

    AttachRefused(String message) {
        super(message);
    }
}
