package dev.teardown.posix;

/** Whether JNA can load its native library in this JVM: the probe both copies of {@link Binding} make. */
final class JnaProbe {
    private JnaProbe() {}

    /** Null if JNA's native library loads here, else the innermost cause (native access refused, no library...). */
    static String refused() {
        try {
            Class.forName("com.sun.jna.Native", true, JnaProbe.class.getClassLoader());
            return null;
        } catch (Throwable e) {
            Throwable c = e;
            while (c.getCause() != null) {
                c = c.getCause();
            }
            return c.toString();
        }
    }
}
