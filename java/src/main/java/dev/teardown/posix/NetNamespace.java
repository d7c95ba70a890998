package dev.teardown.posix;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Moves the calling thread into another network namespace: {@code open(2)} of a namespace file
 * ({@code /proc/PID/ns/net}, {@code /run/netns/NAME}) then {@code setns(2)} with {@code CLONE_NEWNET}. Only the
 * calling thread moves (a JVM thread is a kernel task with its own namespace set); every socket it creates from
 * then on, a sock_diag socket included, belongs to that namespace for its whole life, and so do its
 * {@code /proc/thread-self/net} files. There is no way back to the old namespace short of entering it again:
 * use a thread of its own and let it end. Needs CAP_SYS_ADMIN (root). Linux only.
 */
public final class NetNamespace {
    private NetNamespace() {}

    static final int O_RDONLY = 0;
    static final int O_CLOEXEC = 0x80000;
    static final int CLONE_NEWNET = 0x40000000;

    /** {@code open} or {@code setns} failed with {@link #errno}. */
    public static final class Failure extends IOException {
        private static final long serialVersionUID = 1L;
        /** The call that failed, with its path, for messages. */
        public final String call;
        /** The errno the kernel returned. */
        public final int errno;

        Failure(String call, int errno) {
            super(call + ": " + Errno.name(errno) + " (" + Errno.describe(errno) + ")");
            this.call = call;
            this.errno = errno;
        }

        /** True when the namespace file is gone (its process exited, the name was deleted). */
        public boolean vanished() {
            return errno == Errno.ENOENT || errno == Errno.ESRCH;
        }
    }

    /**
     * Moves the calling thread into the network namespace that {@code path} refers to.
     *
     * @throws Failure naming the call and errno: ENOENT when the file is gone, EPERM without CAP_SYS_ADMIN,
     *     EINVAL when {@code path} is not a network namespace
     * @throws IllegalArgumentException if {@code path} is empty or holds a NUL
     * @throws UnsupportedOperationException on a platform other than Linux
     */
    public static void enter(String path) throws Failure {
        if (path == null || path.isEmpty() || path.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("a namespace path must be non-empty without NUL, got " + path);
        }
        if (!Os.LINUX) {
            throw new UnsupportedOperationException("network namespaces are Linux-only");
        }
        byte[] raw = path.getBytes(StandardCharsets.UTF_8);
        byte[] c = new byte[raw.length + 1];
        System.arraycopy(raw, 0, c, 0, raw.length);
        int fd = LinuxLibc.open(c, O_RDONLY | O_CLOEXEC, 0);
        if (fd < 0) {
            throw new Failure("open(" + path + ")", Libc.errno());
        }
        try {
            if (LinuxLibc.setns(fd, CLONE_NEWNET) < 0) {
                throw new Failure("setns(" + path + ", CLONE_NEWNET)", Libc.errno());
            }
        } finally {
            Libc.close(fd);
        }
    }
}
