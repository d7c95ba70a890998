package dev.teardown.agent.rt;

import java.io.FileDescriptor;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.net.Socket;
import java.net.SocketImpl;

/**
 * Reads descriptor numbers out of the JDK's objects. Needs java.io, java.net, sun.nio.ch and sun.security.ssl opened
 * to this module (the agent does).
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
            int n = fd == null ? -1 : of(fd);
            if (n < 0 && Tls.LAYERED.isInstance(socket)) {
                // a TLS socket layered over a connected one (an HTTP client's https): the descriptor is beneath
                Socket under = (Socket) Tls.SELF.get(socket);
                return under == null || under == socket ? -1 : ofSocket(under);
            }
            return n;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The JDK's TLS sockets, looked up on first use (java.base opens sun.security.ssl to the recorder). */
    private static final class Tls {
        static final Class<?> LAYERED;
        static final VarHandle SELF;

        static {
            try {
                LAYERED = Class.forName("sun.security.ssl.BaseSSLSocketImpl");
                SELF = MethodHandles.privateLookupIn(LAYERED, MethodHandles.lookup())
                        .findVarHandle(LAYERED, "self", Socket.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
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
