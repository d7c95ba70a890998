package dev.teardown.spawn;

import dev.teardown.TcpException;
import dev.teardown.TcpSocket;
import dev.teardown.internal.SocketAccess;

/**
 * Test access to a socket's descriptor under its use count, through the same internal bridge
 * {@link ChildProcess} uses: while {@code body} runs, a close from another thread waits, so the number
 * cannot be released (and reused by another file) under the call. teardown has no public call that reads
 * TCP_INFO of a {@link TcpSocket} this way; the race test needs one to read it while other threads close.
 */
public final class UseCount {
    private UseCount() {}

    /** A call on a raw descriptor number. */
    @FunctionalInterface
    public interface FdCall<T> {
        T apply(int fd) throws TcpException;
    }

    /** Runs {@code body} on {@code socket}'s descriptor while holding a use of it. */
    public static <T> T withFd(TcpSocket socket, String call, FdCall<T> body) throws TcpException {
        SocketAccess.Access a = SocketAccess.get();
        int fd;
        try {
            fd = a.acquire(socket, call);
        } catch (TcpException e) {
            throw e;
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        try {
            return body.apply(fd);
        } finally {
            a.release(socket);
        }
    }
}
