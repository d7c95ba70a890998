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
    static final int JETTY = 5;
    static final int REACTOR_NETTY = 6;
    private static final String[] NAMES = {"an unknown pool", "Apache HttpClient 4.5", "Apache HttpClient 5", "OkHttp",
        "JDK HttpClient", "Jetty HttpClient", "Reactor Netty"};

    private static final NoArgs GET_END_POINT = new NoArgs("getEndPoint"); // Jetty's connection, and SslConnection's
    private static final NoArgs GET_CHANNEL = new NoArgs("getChannel"); // Jetty's SocketChannelEndPoint
    private static final NoArgs GET_SSL_CONNECTION = new NoArgs("getSslConnection"); // Jetty's TLS end point
    private static final NoArgs POOLABLE = new NoArgs("poolable"); // reactor-pool's PooledRef
    private static final NoArgs NETTY_CHANNEL = new NoArgs("channel"); // Reactor Netty's PooledConnection

    /** A no-argument method found by name on a class or its superclasses, once per class. */
    private static final class NoArgs extends ClassValue<Method> {
        private final String name;

        NoArgs(String name) {
            this.name = name;
        }

        @Override
        protected Method computeValue(Class<?> type) {
            return method(type, name);
        }

        Object call(Object o) throws ReflectiveOperationException {
            Method m = o == null ? null : get(o.getClass());
            return m == null ? null : m.invoke(o);
        }
    }

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
     * {@code HttpConnection} (its channel), a Jetty {@code HttpConnectionOverHTTP} (its end point's channel), a Reactor
     * Netty {@code PooledRef} or {@code PooledConnection} (its Netty channel), with {@link #TLS} set for a TLS socket
     * (Reactor Netty's excepted: its idle connections never wait in CLOSE_WAIT, where TLS matters); -1 when it has none
     * (not connected yet, or already let go).
     */
    static long fdOf(int client, Object connection) throws ReflectiveOperationException {
        return client == JETTY ? jettyFd(connection) : client == REACTOR_NETTY ? reactorNettyFd(connection)
                : fdOf(connection);
    }

    /**
     * A Jetty {@code HttpConnectionOverHTTP}'s descriptor: its end point's {@code SocketChannel}, through the
     * {@code SslConnection} beneath a TLS end point (then with {@link #TLS} set).
     */
    private static long jettyFd(Object connection) throws ReflectiveOperationException {
        Object endPoint = GET_END_POINT.call(connection);
        long tls = 0;
        for (int depth = 0; endPoint != null && depth < 4; depth++) {
            if (GET_CHANNEL.call(endPoint) instanceof SocketChannel ch) {
                return ch.isOpen() ? Fds.ofChannel(ch) | tls : -1;
            }
            Object ssl = GET_SSL_CONNECTION.call(endPoint);
            tls = ssl == null ? tls : TLS;
            endPoint = ssl == null ? null : GET_END_POINT.call(ssl);
        }
        return -1;
    }

    /**
     * The descriptor of a Reactor Netty pooled connection, given as reactor-pool's {@code PooledRef} or as the
     * {@code PooledConnection} it holds: its Netty channel's (epoll's or NIO's socket).
     */
    private static long reactorNettyFd(Object pooled) throws ReflectiveOperationException {
        Object connection = POOLABLE.call(pooled);
        Object channel = NETTY_CHANNEL.call(connection == null ? pooled : connection);
        return channel == null ? -1 : Netty.channelFd(channel);
    }

    /** As {@link #fdOf(int, Object)} for the synchronous clients' connection objects. */
    private static long fdOf(Object connection) throws ReflectiveOperationException {
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
