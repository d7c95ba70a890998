package dev.teardown.posix;

/**
 * Whether a socket's peer has sent FIN (or reset it), by poll(2) with POLLRDHUP and no timeout: the kernel flag
 * that also a local shutdown(SHUT_RD) sets. Linux only ({@link Os#POLLRDHUP} is 0 elsewhere). Callers turn the
 * result into their own answer or exception.
 */
public final class PeerPoll {
    private PeerPoll() {}

    /** The revents poll reported for {@code fd} (0 if none), or -errno; EINTR is retried. */
    public static int revents(int fd) {
        if (fd < 0) {
            return -Errno.EBADF; // poll(2) would ignore a negative fd silently
        }
        int[] pfd = {fd, Os.POLLRDHUP & 0xffff};
        for (;;) {
            int r = Libc.poll(pfd, 1, 0);
            if (r >= 0) {
                int revents = pfd[1] >>> 16;
                return (revents & Os.POLLNVAL) != 0 ? -Errno.EBADF : revents;
            }
            int e = Libc.errno();
            if (e != Errno.EINTR) {
                return -e;
            }
            pfd[1] = Os.POLLRDHUP & 0xffff;
        }
    }

    /** True if {@code revents} (from {@link #revents}) says the peer closed. */
    public static boolean peerClosed(int revents) {
        return (revents & (Os.POLLRDHUP | Os.POLLHUP)) != 0;
    }
}
