package dev.teardown.spawn;

import dev.teardown.TcpException;
import dev.teardown.TcpSocket;

/**
 * Internal bridge from this package to a {@link TcpSocket}'s descriptor, installed once by TcpSocket
 * itself. Not API: nothing outside teardown can install or obtain it.
 */
public final class Handles {
    private Handles() {}

    /** What this package may do with a socket: use its fd under the use count, and count children. */
    public interface Access {
        /** Takes a use of the socket's descriptor and returns its number. */
        int acquire(TcpSocket socket, String call) throws TcpException;

        /** Gives the use back. */
        void release(TcpSocket socket);

        /**
         * A child now holds a reference to the socket. Returns what to run when the child has exited; it holds the
         * socket's shared record only, never the handle, so the parent's handle stays collectable meanwhile.
         */
        Runnable childStarted(TcpSocket socket, long pid);
    }

    private static volatile Access access;

    /** Called once, by TcpSocket's class initialiser. */
    public static void install(Access a) {
        Class<?> caller = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE).getCallerClass();
        if (caller != TcpSocket.class || access != null) {
            throw new IllegalStateException("dev.teardown.spawn.Handles is internal to teardown");
        }
        access = a;
    }

    static Access get() {
        if (access == null) {
            try {
                Class.forName(TcpSocket.class.getName(), true, TcpSocket.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
        }
        return access;
    }
}
