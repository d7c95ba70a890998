package dev.teardown.agent.rt;

import java.io.FileDescriptor;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.net.SocketImpl;

/**
 * Reads descriptor numbers out of the JDK's objects. Needs java.io, java.net and sun.nio.ch opened to this module (the
 * agent does).
 */
final class Fds {
    private static final VarHandle FD;
    private static final VarHandle IMPL_FD;

    static {
        try {
            FD = MethodHandles.privateLookupIn(FileDescriptor.class, MethodHandles.lookup())
                    .findVarHandle(FileDescriptor.class, "fd", int.class);
            IMPL_FD = MethodHandles.privateLookupIn(SocketImpl.class, MethodHandles.lookup())
                    .findVarHandle(SocketImpl.class, "fd", FileDescriptor.class);
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
