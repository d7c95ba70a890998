package dev.teardown.inspect;

import java.lang.reflect.Field;
import java.nio.channels.SocketChannel;

/**
 * Reads, never changes, the descriptor number behind a JDK {@link SocketChannel}: the {@code fdVal} field of
 * {@code sun.nio.ch.SocketChannelImpl}, which the JVM opens to reflection only with
 * {@value #FLAG}.
 */
final class JdkChannels {
    private JdkChannels() {}

    /** The JVM option that opens the JDK's channel implementation to teardown. */
    static final String FLAG = "--add-opens java.base/sun.nio.ch=ALL-UNNAMED";

    private static final Object FD_FIELD = lookup();

    private static Object lookup() {
        try {
            Class<?> impl = Class.forName("sun.nio.ch.SocketChannelImpl");
            Field f = impl.getDeclaredField("fdVal");
            f.setAccessible(true);
            return f;
        } catch (RuntimeException e) { // InaccessibleObjectException, SecurityException
            return "reading the descriptor of a JDK SocketChannel needs the JVM option " + FLAG
                    + " (with teardown on the module path: java.base/sun.nio.ch=dev.teardown); this JVM was started without it: " + e.getMessage();
        } catch (ReflectiveOperationException e) {
            return "this JDK (" + System.getProperty("java.version") + ") has no sun.nio.ch.SocketChannelImpl.fdVal: "
                    + e;
        }
    }

    /** True if this JVM lets teardown read channel descriptors. */
    static boolean available() {
        return FD_FIELD instanceof Field;
    }

    /**
     * The descriptor number of {@code ch}.
     *
     * @throws IllegalStateException naming {@value #FLAG} if the JVM was started without it
     * @throws IllegalArgumentException if {@code ch} is not the JDK's own implementation
     */
    static int fd(SocketChannel ch) {
        if (ch == null) {
            throw new IllegalArgumentException("channel must not be null");
        }
        if (!(FD_FIELD instanceof Field)) {
            throw new IllegalStateException((String) FD_FIELD);
        }
        Field f = (Field) FD_FIELD;
        if (!f.getDeclaringClass().isInstance(ch)) {
            throw new IllegalArgumentException("not a JDK socket channel: " + ch.getClass().getName());
        }
        try {
            return f.getInt(ch);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot read " + f + "; start the JVM with " + FLAG, e);
        }
    }
}
