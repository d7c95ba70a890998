package dev.teardown.posix;

// The JDK 22+ copy of src/main/java/dev/teardown/posix/LinuxLibc.java (META-INF/versions/22 of the multi-release jar):
// the same methods, each delegating to FfmLibc or JnaLinuxLibc. Keep the two in step (BindingParityTest checks).

/** Linux-only libc functions, one binding with two implementations like {@link Libc} (this copy: JNA). */
public final class LinuxLibc {
    private LinuxLibc() {}

    /** The binding chosen once for this JVM (see {@code Binding}); a constant the JIT folds. */
    private static final boolean FFM = Binding.FFM;

    public static int accept4(int fd, byte[] addr, int[] len, int flags) {
        return FFM ? FfmLibc.accept4(fd, addr, len, flags) : JnaLinuxLibc.accept4(fd, addr, len, flags);
    }

    public static int eventfd(int initval, int flags) {
        return FFM ? FfmLibc.eventfd(initval, flags) : JnaLinuxLibc.eventfd(initval, flags);
    }

    public static int epoll_create1(int flags) {
        return FFM ? FfmLibc.epoll_create1(flags) : JnaLinuxLibc.epoll_create1(flags);
    }

    /** {@code event} is the address of a {@code struct epoll_event} (see {@link Os#EPOLL_EVENT_SIZE}), or 0 for DEL. */
    public static int epoll_ctl(int epfd, int op, int fd, long event) {
        return FFM ? FfmLibc.epoll_ctl(epfd, op, fd, event) : JnaLinuxLibc.epoll_ctl(epfd, op, fd, event);
    }

    /** Blocks up to {@code timeoutMillis} (-1: forever). */
    public static int epoll_wait(int epfd, long events, int maxevents, int timeoutMillis) {
        return FFM ? FfmLibc.epoll_wait(epfd, events, maxevents, timeoutMillis) : JnaLinuxLibc.epoll_wait(epfd, events, maxevents, timeoutMillis);
    }

    /** {@code path} is NUL-terminated (see {@link NetNamespace}); {@code mode} matters only with O_CREAT. */
    public static int open(byte[] path, int flags, int mode) {
        return FFM ? FfmLibc.open(path, flags, mode) : JnaLinuxLibc.open(path, flags, mode);
    }

    /** Moves the calling thread into the namespace {@code fd} refers to. */
    public static int setns(int fd, int nstype) {
        return FFM ? FfmLibc.setns(fd, nstype) : JnaLinuxLibc.setns(fd, nstype);
    }
}
