package dev.teardown.agent.rt;

import java.io.FileDescriptor;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.SocketImpl;

/** Reads descriptor numbers out of the JDK's objects. Needs java.io and java.net opened to this module (the agent does). */
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
}
