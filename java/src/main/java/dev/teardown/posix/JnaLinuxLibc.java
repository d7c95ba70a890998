package dev.teardown.posix;

import com.sun.jna.Native;

/** The JNA implementation of {@link LinuxLibc}, direct-mapped; registered only on Linux. */
final class JnaLinuxLibc {
    private JnaLinuxLibc() {}

    static {
        if (Os.LINUX) {
            Native.register(JnaLinuxLibc.class, JnaLibraries.libc());
        }
    }

    static native int accept4(int fd, byte[] addr, int[] len, int flags);
    static native int eventfd(int initval, int flags);
    static native int epoll_create1(int flags);
    static native int epoll_ctl(int epfd, int op, int fd, long event);
    static native int epoll_wait(int epfd, long events, int maxevents, int timeoutMillis);
    // open is variadic: bound with its one optional argument (mode), as JnaLibc binds fcntl
    static native int open(byte[] path, int flags, int mode);
    static native int setns(int fd, int nstype);
}
