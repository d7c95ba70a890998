package dev.teardown.posix;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;

/**
 * The JNA implementation of {@link Libc}: direct mapping ({@code Native.register}), static natives, no interface
 * proxy. JNA saves errno after every call (read with {@link #errno()}); no method declares
 * {@code LastErrorException}, which JNA would throw for any non-zero errno, even after a success. Variadic
 * {@code fcntl} and {@code ioctl} are bound with one fixed argument, correct on the Linux x86_64 and aarch64
 * calling conventions.
 */
final class JnaLibc {
    private JnaLibc() {}

    static {
        if (Os.KIND != Os.Kind.UNSUPPORTED) {
            Native.register(JnaLibc.class, JnaLibraries.libc());
        }
    }

    static int errno() {
        return Native.getLastError();
    }

    static long address(ByteBuffer direct) {
        return Pointer.nativeValue(Native.getDirectBufferPointer(direct));
    }

    static native int socket(int domain, int type, int protocol);
    static native int bind(int fd, byte[] addr, int len);
    static native int listen(int fd, int backlog);
    static native int accept(int fd, byte[] addr, int[] len);
    static native int connect(int fd, long addr, int len);
    static native int getsockname(int fd, byte[] addr, int[] len);
    static native int getpeername(int fd, byte[] addr, int[] len);
    static native long recv(int fd, long buf, long len, int flags);
    static native long send(int fd, long buf, long len, int flags);
    static native long read(int fd, long buf, long len);
    static native long write(int fd, long buf, long len);
    static native long sendto(int fd, byte[] buf, long len, int flags, byte[] addr, int addrlen);
    static native int shutdown(int fd, int how);
    static native int close(int fd);
    static native int setsockopt(int fd, int level, int name, int[] val, int len);
    static native int setsockopt(int fd, int level, int name, long val, int len);
    static native int getsockopt(int fd, int level, int name, int[] val, int[] len);
    static native int getsockopt(int fd, int level, int name, byte[] val, int[] len);
    static native int fcntl(int fd, int cmd, int arg);
    static native int ioctl(int fd, long request, int[] arg);
    static native int ioctl(int fd, long request, long argp);
    static native int poll(int[] fds, long nfds, int timeoutMillis);
    static native int poll(long fds, long nfds, int timeoutMillis);
    static native int pipe(int[] fds);
    static native int getpid();
    static native String strerror(int errnum);
}
