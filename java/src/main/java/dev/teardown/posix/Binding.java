package dev.teardown.posix;

/**
 * Which implementation of the binding this JVM uses. This copy (the jar's root, JDK 17-21, and every JDK when the jar
 * was built JNA-only) knows only JNA; the multi-release jar's {@code META-INF/versions/22} copy chooses between FFM
 * and JNA. The choice is made once; a problem with it (an unknown {@value #PROPERTY} value, native access refused)
 * is said once on stderr and thrown when teardown is first used, by {@link Os#requireSupported()}: the same one
 * line as the FFM copy says.
 */
final class Binding {
    private Binding() {}

    /** The system property that picks a binding for A/B runs. */
    static final String PROPERTY = "dev.teardown.binding";

    /** The flag that grants JNA native access, for the class path and the module path. */
    static final String FLAG = "--enable-native-access=ALL-UNNAMED (class path) or --enable-native-access=com.sun.jna"
            + " (module path)";

    /** Why the binding cannot be used, or null. */
    static final String PROBLEM = said(problem(System.getProperty(PROPERTY), Runtime.version().feature()));

    static String problem(String requested, int feature) {
        if (requested == null || requested.isBlank() || requested.trim().equalsIgnoreCase("jna")) {
            String refused = JnaProbe.refused();
            return refused == null ? null
                    : "native access refused to teardown's JNA binding (" + refused + "): add " + FLAG;
        }
        if (requested.trim().equalsIgnoreCase("ffm")) {
            return feature >= 22
                    ? "-D" + PROPERTY + "=ffm: this teardown jar was built JNA-only (without a JDK 22+, or with"
                      + " -Dteardown.jnaOnly), so it has no FFM binding; accepted here: jna"
                    : "-D" + PROPERTY + "=ffm needs a JDK 22+ (this JVM: " + feature + "); accepted here: jna";
        }
        return unknown(requested);
    }

    private static String said(String problem) {
        if (problem != null) {
            System.err.println("teardown: " + problem);
        }
        return problem;
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
