package dev.teardown.posix;

// The JDK 22+ copy of src/main/java/dev/teardown/posix/Libc.java (META-INF/versions/22 of the multi-release jar):
// the same methods, each delegating to FfmLibc or JnaLibc. Keep the two in step (BindingParityTest checks).

import java.nio.ByteBuffer;

/**
 * The libc functions teardown calls: one binding, two implementations. Every method returns the raw C result; on
 * -1 the caller reads {@link #errno()} and turns it into an exception. This class (the jar's root, JDK 17-21)
 * delegates to JNA direct mapping; on JDK 22+ the multi-release jar's {@code META-INF/versions/22} copy delegates
 * to {@code java.lang.foreign} downcalls instead (or to JNA with {@code -Ddev.teardown.binding=jna}), through a
 * static final switch the JIT folds. Call sites are the same for both.
 *
 * <p>Buffers and structs on hot paths are passed as raw addresses ({@code long}, see {@link Buffers#cell()}),
 * so nothing is allocated or copied per call.
 */
public final class Libc {
    private Libc() {}

    /** The binding chosen once for this JVM (see {@code Binding}); a constant the JIT folds. */
    private static final boolean FFM = Binding.FFM;

    /** "jna" or "ffm": the implementation behind these methods in this JVM. */
    public static String binding() {
        return FFM ? "ffm" : "jna";
    }

    /** errno left by the last call of this binding on this thread; read it only after a call returned -1. */
    public static int errno() {
        return FFM ? FfmLibc.errno() : JnaLibc.errno();
    }

    /** Address of the first byte (not of the position) of a direct buffer. */
    public static long address(ByteBuffer direct) {
        return FFM ? FfmLibc.address(direct) : JnaLibc.address(direct);
    }

    public static int socket(int domain, int type, int protocol) {
        return FFM ? FfmLibc.socket(domain, type, protocol) : JnaLibc.socket(domain, type, protocol);
    }

    public static int bind(int fd, byte[] addr, int len) {
        return FFM ? FfmLibc.bind(fd, addr, len) : JnaLibc.bind(fd, addr, len);
    }

    public static int listen(int fd, int backlog) {
        return FFM ? FfmLibc.listen(fd, backlog) : JnaLibc.listen(fd, backlog);
    }

    public static int accept(int fd, byte[] addr, int[] len) {
        return FFM ? FfmLibc.accept(fd, addr, len) : JnaLibc.accept(fd, addr, len);
    }

    /** connect with the sockaddr at a native address; blocks when the socket does. */
    public static int connect(int fd, long addr, int len) {
        return FFM ? FfmLibc.connect(fd, addr, len) : JnaLibc.connect(fd, addr, len);
    }

    public static int getsockname(int fd, byte[] addr, int[] len) {
        return FFM ? FfmLibc.getsockname(fd, addr, len) : JnaLibc.getsockname(fd, addr, len);
    }

    public static int getpeername(int fd, byte[] addr, int[] len) {
        return FFM ? FfmLibc.getpeername(fd, addr, len) : JnaLibc.getpeername(fd, addr, len);
    }

    /** recv into native memory; blocks unless {@code flags} has MSG_DONTWAIT or the socket is non-blocking. */
    public static long recv(int fd, long buf, long len, int flags) {
        return FFM ? FfmLibc.recv(fd, buf, len, flags) : JnaLibc.recv(fd, buf, len, flags);
    }

    public static long send(int fd, long buf, long len, int flags) {
        return FFM ? FfmLibc.send(fd, buf, len, flags) : JnaLibc.send(fd, buf, len, flags);
    }

    /** read on a non-blocking descriptor (a waker's eventfd or pipe). */
    public static long read(int fd, long buf, long len) {
        return FFM ? FfmLibc.read(fd, buf, len) : JnaLibc.read(fd, buf, len);
    }

    /** write to a non-blocking descriptor (a waker's eventfd or pipe). */
    public static long write(int fd, long buf, long len) {
        return FFM ? FfmLibc.write(fd, buf, len) : JnaLibc.write(fd, buf, len);
    }

    public static long sendto(int fd, byte[] buf, long len, int flags, byte[] addr, int addrlen) {
        return FFM ? FfmLibc.sendto(fd, buf, len, flags, addr, addrlen) : JnaLibc.sendto(fd, buf, len, flags, addr, addrlen);
    }

    public static int shutdown(int fd, int how) {
        return FFM ? FfmLibc.shutdown(fd, how) : JnaLibc.shutdown(fd, how);
    }

    /**
     * The quiet variants, for a caller that ignores a failure (the allocation-free close path): the same system
     * call, but errno is not kept ({@link #errno()} is undefined after them). With FFM, capturing errno allocates a
     * little per call in the interpreter; JNA keeps it anyway at no allocation.
     */
    public static int shutdownNoErrno(int fd, int how) {
        return FFM ? FfmLibc.shutdownNoErrno(fd, how) : JnaLibc.shutdown(fd, how);
    }

    /** As {@link #close(int)}, errno not kept. */
    public static int closeNoErrno(int fd) {
        return FFM ? FfmLibc.closeNoErrno(fd) : JnaLibc.close(fd);
    }

    /** As {@link #setsockopt(int, int, int, long, int)}, errno not kept. */
    public static int setsockoptNoErrno(int fd, int level, int name, long val, int len) {
        return FFM ? FfmLibc.setsockoptNoErrno(fd, level, name, val, len) : JnaLibc.setsockopt(fd, level, name, val, len);
    }

    public static int close(int fd) {
        return FFM ? FfmLibc.close(fd) : JnaLibc.close(fd);
    }

    /** Options whose value is an int, or a struct of ints such as {@code struct linger}. */
    public static int setsockopt(int fd, int level, int name, int[] val, int len) {
        return FFM ? FfmLibc.setsockopt(fd, level, name, val, len) : JnaLibc.setsockopt(fd, level, name, val, len);
    }

    /** setsockopt with the value at a native address (see {@link Buffers#cell()}). */
    public static int setsockopt(int fd, int level, int name, long val, int len) {
        return FFM ? FfmLibc.setsockopt(fd, level, name, val, len) : JnaLibc.setsockopt(fd, level, name, val, len);
    }

    public static int getsockopt(int fd, int level, int name, int[] val, int[] len) {
        return FFM ? FfmLibc.getsockopt(fd, level, name, val, len) : JnaLibc.getsockopt(fd, level, name, val, len);
    }

    /** Options whose value is a byte struct, such as {@code struct tcp_info}. */
    public static int getsockopt(int fd, int level, int name, byte[] val, int[] len) {
        return FFM ? FfmLibc.getsockopt(fd, level, name, val, len) : JnaLibc.getsockopt(fd, level, name, val, len);
    }

    public static int fcntl(int fd, int cmd, int arg) {
        return FFM ? FfmLibc.fcntl(fd, cmd, arg) : JnaLibc.fcntl(fd, cmd, arg);
    }

    public static int ioctl(int fd, long request, int[] arg) {
        return FFM ? FfmLibc.ioctl(fd, request, arg) : JnaLibc.ioctl(fd, request, arg);
    }

    /** ioctl with a native out-parameter address (see {@link Buffers#cell()}): nothing to marshal. */
    public static int ioctl(int fd, long request, long argp) {
        return FFM ? FfmLibc.ioctl(fd, request, argp) : JnaLibc.ioctl(fd, request, argp);
    }

    /** {@code fds} holds struct pollfd as int pairs: fd, then events | revents &lt;&lt; 16 (little-endian). */
    public static int poll(int[] fds, long nfds, int timeoutMillis) {
        return FFM ? FfmLibc.poll(fds, nfds, timeoutMillis) : JnaLibc.poll(fds, nfds, timeoutMillis);
    }

    /** poll on struct pollfd entries at a native address (see {@link Buffers#cell()}). */
    public static int poll(long fds, long nfds, int timeoutMillis) {
        return FFM ? FfmLibc.poll(fds, nfds, timeoutMillis) : JnaLibc.poll(fds, nfds, timeoutMillis);
    }

    public static int pipe(int[] fds) {
        return FFM ? FfmLibc.pipe(fds) : JnaLibc.pipe(fds);
    }

    public static int getpid() {
        return FFM ? FfmLibc.getpid() : JnaLibc.getpid();
    }

    public static String strerror(int errnum) {
        return FFM ? FfmLibc.strerror(errnum) : JnaLibc.strerror(errnum);
    }
}
