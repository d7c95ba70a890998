package dev.teardown.posix;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/** Linux-only libc functions, direct-mapped; registered only on Linux. */
public final class LinuxLibc {
    private LinuxLibc() {}

    static {
        if (Os.LINUX) {
            Native.register(LinuxLibc.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
        }
    }

    public static native int accept4(int fd, byte[] addr, int[] len, int flags);
    public static native int eventfd(int initval, int flags);
    public static native int epoll_create1(int flags);
    /** {@code event} is the address of a {@code struct epoll_event} (see {@link Os#EPOLL_EVENT_SIZE}), or 0 for DEL. */
    public static native int epoll_ctl(int epfd, int op, int fd, long event);
    public static native int epoll_wait(int epfd, long events, int maxevents, int timeoutMillis);
    public static native int unshare(int flags);
    public static native int setns(int fd, int nstype);
}
