package dev.teardown.posix;

import java.lang.reflect.Field;
import java.nio.channels.Channel;

/**
 * Reads, never changes, the descriptor number behind a JDK NIO channel ({@code SocketChannel},
 * {@code ServerSocketChannel}, {@code DatagramChannel}): the {@code fdVal} field of the {@code sun.nio.ch}
 * implementation, which the JVM opens to reflection only with {@value #FLAG}. Internal to teardown.
 */
public final class JdkChannels {
    private JdkChannels() {}

    /** The JVM option that opens the JDK's channel implementations to teardown. */
    public static final String FLAG = "--add-opens java.base/sun.nio.ch=ALL-UNNAMED";

    /** Per channel class: its accessible {@code fdVal} field, or a String saying why there is none. */
    private static final ClassValue<Object> FD_FIELDS = new ClassValue<>() {
        @Override
        protected Object computeValue(Class<?> type) {
            for (Class<?> c = type; c != null; c = c.getSuperclass()) {
                Field f;
                try {
                    f = c.getDeclaredField("fdVal");
                } catch (NoSuchFieldException e) {
                    continue;
                }
                try {
                    f.setAccessible(true);
                    return f;
                } catch (RuntimeException e) { // InaccessibleObjectException, SecurityException
                    return "reading the descriptor of a JDK channel needs the JVM option " + FLAG
                            + " (with teardown on the module path: java.base/sun.nio.ch=dev.teardown); this JVM was started"
                            + " without it: " + e.getMessage();
                }
            }
            return null; // not a JDK channel with a descriptor
        }
    };

    /** True if this JVM lets teardown read channel descriptors. */
    public static boolean available() {
        try {
            return FD_FIELDS.get(Class.forName("sun.nio.ch.SocketChannelImpl")) instanceof Field;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    /**
     * As {@link #fd(Channel)}, for a call that has a twin needing no JVM option: without {@value #FLAG} the message
     * names both the option and {@code instead} (a {@code dev.teardown.jdk.JdkSockets} call, which finds the
     * descriptor by sock_diag and {@code /proc/self/fd}).
     */
    public static int fd(Channel channel, String instead) {
        try {
            return fd(channel);
        } catch (IllegalStateException e) {
            throw new IllegalStateException(e.getMessage() + ". Or call " + instead + ", which needs no JVM option", e);
        }
    }

    /**
     * The descriptor number of {@code channel}.
     *
     * @throws IllegalStateException naming {@value #FLAG} if the JVM was started without it
     * @throws IllegalArgumentException if {@code channel} is null or not one of the JDK's own implementations
     */
    public static int fd(Channel channel) {
        if (channel == null) {
            throw new IllegalArgumentException("channel must not be null");
        }
        Object f = FD_FIELDS.get(channel.getClass());
        if (f == null) {
            throw new IllegalArgumentException("not a JDK channel with a descriptor: " + channel.getClass().getName());
        }
        if (f instanceof String why) {
            throw new IllegalStateException(why);
        }
        try {
            return ((Field) f).getInt(channel);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot read " + f + "; start the JVM with " + FLAG, e);
        }
    }
}
