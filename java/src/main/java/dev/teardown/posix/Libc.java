package dev.teardown.posix;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/**
 * The libc functions teardown calls, JNA direct-mapped. Every method returns the raw C result;
 * on -1 the caller reads {@link #errno()} and turns it into an exception. No method declares
 * {@code LastErrorException}: JNA would throw it for any non-zero errno, even after a success.
 *
 * <p>Buffers are passed as raw addresses ({@code long}) so no JNA object is allocated per call.
 * Variadic functions ({@code fcntl}, {@code ioctl}) are bound with one fixed argument, which is
 * correct on the Linux x86_64 and aarch64 calling conventions.
 */
public final class Libc {
    private Libc() {}

    static {
        if (Os.KIND != Os.Kind.UNSUPPORTED) {
            Native.register(Libc.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
        }
    }

    /** errno left by the last native call on this thread; read it only after a call returned -1. */
    public static int errno() {
        return Native.getLastError();
    }

    public static native int socket(int domain, int type, int protocol);
    public static native int bind(int fd, byte[] addr, int len);
    public static native int listen(int fd, int backlog);
    public static native int accept(int fd, byte[] addr, int[] len);
    public static native int connect(int fd, byte[] addr, int len);
    /** connect with the sockaddr at a native address (see {@link Buffers#cell()}). */
    public static native int connect(int fd, long addr, int len);
    public static native int getsockname(int fd, byte[] addr, int[] len);
    public static native int getpeername(int fd, byte[] addr, int[] len);

    public static native long recv(int fd, long buf, long len, int flags);
    public static native long recv(int fd, byte[] buf, long len, int flags);
    public static native long send(int fd, long buf, long len, int flags);
    public static native long send(int fd, byte[] buf, long len, int flags);
    public static native long read(int fd, long buf, long len);
    public static native long write(int fd, long buf, long len);
    public static native long write(int fd, byte[] buf, long len);
    public static native long read(int fd, byte[] buf, long len);
    public static native long sendto(int fd, byte[] buf, long len, int flags, byte[] addr, int addrlen);

    public static native int shutdown(int fd, int how);
    public static native int close(int fd);

    /** Options whose value is an int, or a struct of ints such as {@code struct linger}. */
    public static native int setsockopt(int fd, int level, int name, int[] val, int len);
    /** setsockopt with the value at a native address (see {@link Buffers#cell()}). */
    public static native int setsockopt(int fd, int level, int name, long val, int len);
    public static native int getsockopt(int fd, int level, int name, int[] val, int[] len);
    /** Options whose value is a byte struct, such as {@code struct tcp_info}. */
    public static native int getsockopt(int fd, int level, int name, byte[] val, int[] len);

    public static native int fcntl(int fd, int cmd, int arg);
    public static native int ioctl(int fd, long request, int[] arg);
    /** ioctl with a native out-parameter address (see {@link Buffers#cell()}): nothing to marshal. */
    public static native int ioctl(int fd, long request, long argp);
    /** {@code fds} holds struct pollfd as int pairs: fd, then events | revents &lt;&lt; 16 (little-endian). */
    public static native int poll(int[] fds, long nfds, int timeoutMillis);
    /** poll on struct pollfd entries at a native address (see {@link Buffers#cell()}). */
    public static native int poll(long fds, long nfds, int timeoutMillis);
    public static native int pipe(int[] fds);
    public static native int getpid();

    public static native String strerror(int errnum);
}
