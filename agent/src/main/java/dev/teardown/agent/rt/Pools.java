package dev.teardown.agent.rt;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLSocket;

/**
 * Finds the descriptor behind a pooled HTTP client's connection object, by reflection on the client's own method
 * and field names, so that nothing here depends on a client library. Off the JDK sockets' path: it runs at a pool's
 * lease and release only.
 */
final class Pools {
    static final int APACHE4 = 1;
    static final int APACHE5 = 2;
    static final int OKHTTP = 3;
    static final int JDK = 4;
    private static final String[] NAMES = {"an unknown pool", "Apache HttpClient 4.5", "Apache HttpClient 5", "OkHttp",
        "JDK HttpClient"};

    private static final ClassValue<Method> NO_ARGS_SOCKET = new ClassValue<>() {
        @Override
        protected Method computeValue(Class<?> type) {
            // Apache's connections, OkHttp's RealConnection, the JDK client's HttpConnection
            for (String name : new String[] {"getSocket", "socket", "channel"}) {
                Method m = method(type, name);
                if (m != null && (Socket.class.isAssignableFrom(m.getReturnType())
                        || SocketChannel.class.isAssignableFrom(m.getReturnType()))) {
                    return m;
                }
            }
            return null;
        }
    };

    private Pools() {}

    static String name(int client) {
        return client > 0 && client < NAMES.length ? NAMES[client] : NAMES[0];
    }

    /** Set in what {@link #fdOf} returns for a TLS connection. */
    static final long TLS = 1L << 32;

    /**
     * The descriptor of a connection object: an Apache 4.5 managed connection, an Apache 5 connection endpoint (its
     * pool entry's connection), an OkHttp {@code RealConnection} or {@code RealCall} (its connection), a JDK
     * {@code HttpConnection} (its channel), with {@link #TLS} set for a TLS socket; -1 when it has none (not connected
     * yet, or already let go).
     */
    static long fdOf(Object connection) throws ReflectiveOperationException {
        if (connection == null) {
            return -1;
        }
        Method m = NO_ARGS_SOCKET.get(connection.getClass());
        if (m != null) {
            Object s = m.invoke(connection);
            if (s instanceof SocketChannel ch) {
                return ch.isOpen() ? Fds.ofChannel(ch) : -1;
            }
            if (s == null || ((Socket) s).isClosed()) {
                return -1;
            }
            int fd = Fds.ofSocket((Socket) s);
            return fd < 0 || !(s instanceof SSLSocket) ? fd : fd | TLS;
        }
        Object inner = field(connection, "poolEntryRef"); // Apache 5's InternalConnectionEndpoint
        if (inner instanceof AtomicReference<?> ref) {
            Object entry = ref.get();
            Method get = entry == null ? null : method(entry.getClass(), "getConnection");
            return get == null ? -1 : fdOf(get.invoke(entry));
        }
        inner = field(connection, "connection"); // OkHttp's RealCall
        return inner == null ? -1 : fdOf(inner);
    }

    private static Method method(Class<?> type, String name) {
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            try {
                Method m = c.getDeclaredMethod(name);
                m.setAccessible(true);
                return m;
            } catch (NoSuchMethodException | RuntimeException e) {
                // keep looking
            }
        }
        return null;
    }

    private static Object field(Object o, String name) throws IllegalAccessException {
        for (Class<?> c = o.getClass(); c != null; c = c.getSuperclass()) {
            try {
                Field f = c.getDeclaredField(name);
                f.setAccessible(true);
                return f.get(o);
            } catch (NoSuchFieldException | RuntimeException e) {
                // keep looking
            }
        }
        return null;
    }
}
