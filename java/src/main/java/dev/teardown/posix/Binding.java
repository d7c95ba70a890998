package dev.teardown.posix;

/**
 * Which implementation of the binding this JVM uses. This copy (the jar's root, JDK 17-21) knows only JNA;
 * the multi-release jar's {@code META-INF/versions/22} copy chooses between FFM and JNA. The choice is made
 * once; a problem with it (an unknown {@value #PROPERTY} value, native access refused) is reported when teardown
 * is first used, by {@link Os#requireSupported()}.
 */
final class Binding {
    private Binding() {}

    /** The system property that picks a binding for A/B runs. */
    static final String PROPERTY = "dev.teardown.binding";

    /** Why the binding cannot be used, or null. */
    static final String PROBLEM = problem(System.getProperty(PROPERTY));

    static String problem(String requested) {
        if (requested == null || requested.isBlank() || requested.trim().equalsIgnoreCase("jna")) {
            return null;
        }
        if (requested.trim().equalsIgnoreCase("ffm")) {
            return "-D" + PROPERTY + "=ffm needs a JDK 22+ and teardown's multi-release jar (this JVM: "
                    + Runtime.version().feature() + "); accepted here: jna";
        }
        return unknown(requested);
    }

    static String unknown(String requested) {
        return "unknown -D" + PROPERTY + "=" + requested + ": accepted values are jna and ffm"
                + " (default: ffm on a JDK 22+, jna before)";
    }

    static void requireUsable() {
        if (PROBLEM != null) {
            throw new IllegalStateException("teardown: " + PROBLEM);
        }
    }
}
