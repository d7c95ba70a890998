package dev.teardown.internal;

import java.io.IOException;

/**
 * How the spawn package reaches a {@code TcpSocket}'s descriptor without the core importing spawn: the core installs
 * one {@link Access} from {@code TcpSocket}'s class initialiser, which has run before anyone holds a socket to pass
 * here. Typed by the socket ({@code S} is the core's TcpSocket at both ends: the core installs an
 * {@code Access<TcpSocket>}, spawn asks for one), so that this package names nothing of the core.
 */
public final class SocketAccess {
    private SocketAccess() {}

    /** What the spawn package may do with a socket: use its fd under the use count, and count children. */
    public interface Access<S> {
        /** Takes a use of the socket's descriptor and returns its number; throws the core's TcpException. */
        int acquire(S socket, String call) throws IOException;

        /** Gives the use back. */
        void release(S socket);

        /**
         * A child now holds a reference to the socket. Returns what to run when the child has exited; it holds the
         * socket's shared record only, never the handle.
         */
        Runnable childStarted(S socket, long pid);
    }

    private static volatile Access<?> access;

    /** Called once, by the core. */
    public static synchronized void install(Access<?> a) {
        if (access != null) {
            throw new IllegalStateException("SocketAccess is installed once, by teardown's core");
        }
        access = a;
    }

    /** The core's access; the caller holds a socket, so the core has installed it. */
    @SuppressWarnings("unchecked")
    public static <S> Access<S> get() {
        Access<S> a = (Access<S>) access;
        if (a == null) {
            throw new IllegalStateException("no TcpSocket class initialised yet");
        }
        return a;
    }
}
