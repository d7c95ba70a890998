package dev.teardown.agent.rt;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.channels.SelectableChannel;

/** Reads Netty's objects by reflection, so that nothing here depends on Netty. Off the JDK sockets' path. */
final class Netty {
    private static final ClassValue<Method> INT_VALUE = new ClassValue<>() {
        @Override
        protected Method computeValue(Class<?> type) {
            try {
                return type.getMethod("intValue");
            } catch (NoSuchMethodException e) {
                return null;
            }
        }
    };
    private static final ClassValue<Field> SOCKET_FIELD = new ClassValue<>() {
        @Override
        protected Field computeValue(Class<?> type) {
            for (Class<?> c = type; c != null; c = c.getSuperclass()) {
                for (String name : new String[] {"socket", "ch"}) { // epoll's LinuxSocket, NIO's SelectableChannel
                    try {
                        Field f = c.getDeclaredField(name);
                        f.setAccessible(true);
                        return f;
                    } catch (NoSuchFieldException | RuntimeException e) {
                        // keep looking
                    }
                }
            }
            return null;
        }
    };

    private Netty() {}

    /** The descriptor of a Netty {@code FileDescriptor} or of a JDK channel, or -1. */
    static int fd(Object socket) throws ReflectiveOperationException {
        if (socket instanceof SelectableChannel) {
            return Fds.ofChannel(socket);
        }
        Method m = socket == null ? null : INT_VALUE.get(socket.getClass());
        return m == null ? -1 : (int) m.invoke(socket);
    }

    /** The descriptor of a Netty channel (its epoll {@code LinuxSocket}, or its NIO JDK channel), or -1. */
    static int channelFd(Object channel) throws ReflectiveOperationException {
        Field f = SOCKET_FIELD.get(channel.getClass());
        return f == null ? -1 : fd(f.get(channel));
    }

    /** The owner tag of a socket's record: 0 for a JDK channel (see {@link Recorder#opened}), else its identity. */
    static int ownerTag(Object socket) {
        return socket instanceof SelectableChannel ? 0 : System.identityHashCode(socket);
    }

    /** The descriptor of the listener among a channel constructor's arguments (the parent channel), or -1. */
    static int parentFd(Object[] args, Object socket) throws ReflectiveOperationException {
        for (Object a : args) {
            if (a == null || a == socket) {
                continue;
            }
            Field f = SOCKET_FIELD.get(a.getClass());
            if (f != null) {
                return fd(f.get(a));
            }
        }
        return -1;
    }
}
