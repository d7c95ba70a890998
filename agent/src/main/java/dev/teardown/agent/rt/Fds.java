package dev.teardown.agent.rt;

import java.io.FileDescriptor;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.net.Socket;
import java.net.SocketImpl;

/**
 * Reads descriptor numbers out of the JDK's objects. Needs java.io, java.net and sun.nio.ch opened to this module (the
 * agent does).
 */
final class Fds {
    private static final VarHandle FD;
    private static final VarHandle IMPL_FD;
    private static final VarHandle SOCKET_IMPL;
    private static final MethodHandle IMPL_DESCRIPTOR;

    static {
        try {
            FD = MethodHandles.privateLookupIn(FileDescriptor.class, MethodHandles.lookup())
                    .findVarHandle(FileDescriptor.class, "fd", int.class);
            IMPL_FD = MethodHandles.privateLookupIn(SocketImpl.class, MethodHandles.lookup())
                    .findVarHandle(SocketImpl.class, "fd", FileDescriptor.class);
            SOCKET_IMPL = MethodHandles.privateLookupIn(Socket.class, MethodHandles.lookup())
                    .findVarHandle(Socket.class, "impl", SocketImpl.class);
            IMPL_DESCRIPTOR = MethodHandles.privateLookupIn(SocketImpl.class, MethodHandles.lookup())
                    .findVirtual(SocketImpl.class, "getFileDescriptor", MethodType.methodType(FileDescriptor.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private Fds() {}

    static int of(FileDescriptor fd) {
        return (int) FD.get(fd);
    }

    static FileDescriptor ofSocketImpl(Object impl) {
        return (FileDescriptor) IMPL_FD.get((SocketImpl) impl);
    }

    /**
     * The descriptor of a {@code java.net.Socket} (its implementation's, through a SOCKS wrapper if there is one), or
     * -1 when it has none (not created, closed, or a socket with no descriptor of its own such as a layered TLS one).
     */
    static int ofSocket(Socket socket) {
        try {
            SocketImpl impl = (SocketImpl) SOCKET_IMPL.get(socket);
            FileDescriptor fd = impl == null ? null : (FileDescriptor) IMPL_DESCRIPTOR.invoke(impl);
            return fd == null ? -1 : of(fd);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** A JDK channel's descriptor ({@code sun.nio.ch.SelChImpl.getFDVal()}); only on Netty's path, so looked up late. */
    static int ofChannel(Object channel) throws ReflectiveOperationException {
        try {
            return (int) Channels.FD_VAL.invoke(channel);
        } catch (ReflectiveOperationException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static final class Channels {
        static final MethodHandle FD_VAL;

        static {
            try {
                Class<?> selCh = Class.forName("sun.nio.ch.SelChImpl");
                MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(selCh, MethodHandles.lookup());
                FD_VAL = lookup.findVirtual(selCh, "getFDVal", MethodType.methodType(int.class))
                        .asType(MethodType.methodType(int.class, Object.class));
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }
}
