package dev.teardown.posix;

// The JDK 22+ copy of src/main/java/dev/teardown/posix/Binding.java (META-INF/versions/22).

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;

/**
 * Which implementation of the binding this JVM uses, chosen once: FFM ({@code java.lang.foreign}) by default on a
 * JDK 22+, JNA with {@code -D}{@value #PROPERTY}{@code =jna}. When the JVM refuses native access to the one
 * asked for ({@code --illegal-native-access=deny} without {@code --enable-native-access} for teardown), teardown
 * says so once on stderr, naming the flag, and uses the other if that one is allowed; if neither is, or the
 * property names no binding, the problem is thrown when teardown is first used ({@link Os#requireSupported()}).
 */
final class Binding {
    private Binding() {}

    /** The system property that picks a binding for A/B runs. */
    static final String PROPERTY = "dev.teardown.binding";

    /** The flag that grants native access, for the class path and the module path. */
    static final String FLAG = "--enable-native-access=ALL-UNNAMED (class path) or --enable-native-access=dev.teardown"
            + " (module path; JNA's own calls need com.sun.jna)";

    /** True: FFM; false: JNA. */
    static final boolean FFM;
    /** Why the binding cannot be used, or null. */
    static final String PROBLEM;

    static {
        String requested = System.getProperty(PROPERTY, "").trim().toLowerCase(java.util.Locale.ROOT);
        boolean ffm = true;
        String problem = null;
        if (Os.KIND == Os.Kind.UNSUPPORTED) {
            ffm = false; // Os.requireSupported() names the platform
        } else if (!requested.isEmpty() && !requested.equals("jna") && !requested.equals("ffm")) {
            problem = unknown(requested);
        } else {
            boolean wantFfm = !requested.equals("jna");
            String refused = wantFfm ? ffmRefused() : JnaProbe.refused();
            ffm = wantFfm;
            if (refused != null) {
                String other = wantFfm ? JnaProbe.refused() : ffmRefused();
                String said = "native access refused to teardown's " + (wantFfm ? "FFM" : "JNA") + " binding ("
                        + refused + "): add " + FLAG;
                if (other == null) {
                    ffm = !wantFfm;
                    System.err.println("teardown: " + said + "; using " + (ffm ? "FFM" : "JNA") + " instead");
                } else {
                    problem = said;
                    System.err.println("teardown: " + said);
                }
            }
        }
        FFM = ffm;
        PROBLEM = problem;
    }

    static String unknown(String requested) {
        return "unknown -D" + PROPERTY + "=" + requested + ": accepted values are jna and ffm"
                + " (default: ffm on a JDK 22+, jna before)";
    }

    /** Null if this JVM lets teardown link a downcall, else what it said. */
    private static String ffmRefused() {
        try {
            Linker linker = Linker.nativeLinker();
            linker.downcallHandle(linker.defaultLookup().find("getpid").orElseThrow(), FunctionDescriptor.of(JAVA_INT));
            return null;
        } catch (IllegalCallerException e) {
            return e.getMessage();
        }
    }

    static void requireUsable() {
        if (PROBLEM != null) {
            throw new IllegalStateException("teardown: " + PROBLEM);
        }
    }
}
