package dev.teardown.posix;

/** Linux-only libc functions, one binding with two implementations like {@link Libc} (this copy: JNA). */
public final class LinuxLibc {
    private LinuxLibc() {}

    public static int accept4(int fd, byte[] addr, int[] len, int flags) {
        return JnaLinuxLibc.accept4(fd, addr, len, flags);
    }

    public static int eventfd(int initval, int flags) {
        return JnaLinuxLibc.eventfd(initval, flags);
    }

    public static int epoll_create1(int flags) {
        return JnaLinuxLibc.epoll_create1(flags);
    }

    /** {@code event} is the address of a {@code struct epoll_event} (see {@link Os#EPOLL_EVENT_SIZE}), or 0 for DEL. */
    public static int epoll_ctl(int epfd, int op, int fd, long event) {
        return JnaLinuxLibc.epoll_ctl(epfd, op, fd, event);
    }

    /** Blocks up to {@code timeoutMillis} (-1: forever). */
    public static int epoll_wait(int epfd, long events, int maxevents, int timeoutMillis) {
        return JnaLinuxLibc.epoll_wait(epfd, events, maxevents, timeoutMillis);
    }

    /** {@code path} is NUL-terminated (see {@link NetNamespace}); {@code mode} matters only with O_CREAT. */
    public static int open(byte[] path, int flags, int mode) {
        return JnaLinuxLibc.open(path, flags, mode);
    }

    /** Moves the calling thread into the namespace {@code fd} refers to. */
    public static int setns(int fd, int nstype) {
        return JnaLinuxLibc.setns(fd, nstype);
    }
}
