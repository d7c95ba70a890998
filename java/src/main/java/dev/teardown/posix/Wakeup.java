package dev.teardown.posix;

/**
 * A descriptor that a closing thread makes readable to wake threads polling on a socket: an
 * eventfd on Linux, a pipe on macOS. Invisible to other holders of the socket, unlike a shutdown.
 * Both ends are close-on-exec and non-blocking.
 */
public final class Wakeup {
    /** The end to poll for POLLIN. */
    public final int readFd;
    /** The end to write to; the same descriptor as {@link #readFd} for an eventfd. */
    public final int writeFd;

    private Wakeup(int readFd, int writeFd) {
        this.readFd = readFd;
        this.writeFd = writeFd;
    }

    /** A new wake-up descriptor, or null with errno in {@code errOut[0]} when none could be made. */
    public static Wakeup create(int[] errOut) {
        if (Os.LINUX) {
            int fd = LinuxLibc.eventfd(0, Os.EFD_CLOEXEC | Os.EFD_NONBLOCK);
            if (fd < 0) {
                errOut[0] = Libc.errno();
                return null;
            }
            return new Wakeup(fd, fd);
        }
        int[] fds = new int[2];
        if (Libc.pipe(fds) < 0) {
            errOut[0] = Libc.errno();
            return null;
        }
        for (int fd : fds) {
            Libc.fcntl(fd, Os.F_SETFD, Os.FD_CLOEXEC);
            Libc.fcntl(fd, Os.F_SETFL, Libc.fcntl(fd, Os.F_GETFL, 0) | Os.O_NONBLOCK);
        }
        return new Wakeup(fds[0], fds[1]);
    }

    private static final byte[] ONE = {1, 0, 0, 0, 0, 0, 0, 0};

    /** Makes {@link #readFd} readable. Never blocks; a full pipe is already readable. */
    public void signal() {
        Libc.write(writeFd, ONE, 8);
    }

    /** Closes both ends, once. */
    public void close() {
        Libc.close(readFd);
        if (writeFd != readFd) {
            Libc.close(writeFd);
        }
    }
}
