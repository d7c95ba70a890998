package dev.teardown.posix;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;

/**
 * The {@code java.lang.foreign} implementation of {@link Libc}, {@link LinuxLibc} and {@link SpawnLibc} (JDK 22+).
 * Each function is one downcall handle, linked once. Short calls that cannot block are linked
 * {@link Linker.Option#critical(boolean) critical} (no thread-state transition; Java arrays passed in place);
 * calls that may block ({@code close} with a linger, {@code connect}, {@code poll} or {@code epoll_wait} with a
 * timeout, a {@code recv} or {@code send} without MSG_DONTWAIT, {@code waitpid}, {@code posix_spawnp}) are linked
 * without, so the GC is never held up. errno is captured into a per-thread segment right after every call
 * ({@code captureCallState("errno")}), before the JVM can overwrite it. Native addresses passed as {@code long}
 * use a {@code JAVA_LONG} layout (a pointer on every 64-bit ABI teardown supports), so no segment is made per call.
 */
final class FfmLibc {
    private FfmLibc() {}

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup C = LINKER.defaultLookup();
    private static final StructLayout STATE = Linker.Option.captureStateLayout();
    private static final long ERRNO_OFFSET = STATE.byteOffset(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    private static final Linker.Option CRITICAL = Linker.Option.critical(true);
    private static final Linker.Option VARARGS_FROM_2 = Linker.Option.firstVariadicArg(2);

    /** This thread's capture segment (a virtual thread has its own: errno is read on the thread that called). */
    private static final ThreadLocal<MemorySegment> CAPTURE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(STATE));

    private static MethodHandle blocking(String name, FunctionDescriptor fd, Linker.Option... more) {
        return link(name, fd, false, more);
    }

    private static MethodHandle critical(String name, FunctionDescriptor fd, Linker.Option... more) {
        return link(name, fd, true, more);
    }

    private static MethodHandle link(String name, FunctionDescriptor fd, boolean critical, Linker.Option... more) {
        MemorySegment symbol = C.find(name).orElse(null);
        if (symbol == null) {
            return null; // a Linux-only function on macOS, closefrom_np on an old libc: never called there
        }
        Linker.Option[] options = new Linker.Option[more.length + (critical ? 2 : 1)];
        options[0] = ERRNO;
        if (critical) {
            options[1] = CRITICAL;
        }
        System.arraycopy(more, 0, options, critical ? 2 : 1, more.length);
        return LINKER.downcallHandle(symbol, fd, options);
    }

    /**
     * A handle that does not capture errno, for calls whose caller ignores the error: capturing allocates a
     * little per call in the interpreter (and sometimes compiled), which the allocation-free close path avoids.
     */
    private static MethodHandle quiet(String name, FunctionDescriptor fd, boolean critical) {
        MemorySegment symbol = C.find(name).orElseThrow();
        return critical ? LINKER.downcallHandle(symbol, fd, Linker.Option.critical(false))
                : LINKER.downcallHandle(symbol, fd);
    }

    private static FunctionDescriptor i(java.lang.foreign.MemoryLayout... args) {
        return FunctionDescriptor.of(JAVA_INT, args);
    }

    private static FunctionDescriptor l(java.lang.foreign.MemoryLayout... args) {
        return FunctionDescriptor.of(JAVA_LONG, args);
    }

    private static final MethodHandle SOCKET = critical("socket", i(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle BIND = critical("bind", i(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle LISTEN = critical("listen", i(JAVA_INT, JAVA_INT));
    private static final MethodHandle ACCEPT = critical("accept", i(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle CONNECT = blocking("connect", i(JAVA_INT, JAVA_LONG, JAVA_INT));
    private static final MethodHandle GETSOCKNAME = critical("getsockname", i(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle GETPEERNAME = critical("getpeername", i(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle RECV_NOWAIT = critical("recv", l(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
    private static final MethodHandle RECV = blocking("recv", l(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
    private static final MethodHandle SEND_NOWAIT = critical("send", l(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
    private static final MethodHandle SEND = blocking("send", l(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
    private static final MethodHandle READ = critical("read", l(JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle WRITE = critical("write", l(JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle SENDTO =
            critical("sendto", l(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SHUTDOWN = critical("shutdown", i(JAVA_INT, JAVA_INT));
    /** Not critical: with SO_LINGER {1, t} set by someone, close(2) blocks up to t. */
    private static final MethodHandle CLOSE = blocking("close", i(JAVA_INT));
    private static final MethodHandle SETSOCKOPT_HEAP =
            critical("setsockopt", i(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SETSOCKOPT =
            critical("setsockopt", i(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT));
    private static final MethodHandle GETSOCKOPT_HEAP =
            critical("getsockopt", i(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle FCNTL = critical("fcntl", i(JAVA_INT, JAVA_INT, JAVA_INT), VARARGS_FROM_2);
    private static final MethodHandle IOCTL_HEAP = critical("ioctl", i(JAVA_INT, JAVA_LONG, ADDRESS), VARARGS_FROM_2);
    private static final MethodHandle IOCTL = critical("ioctl", i(JAVA_INT, JAVA_LONG, JAVA_LONG), VARARGS_FROM_2);
    private static final MethodHandle POLL_NOW_HEAP = critical("poll", i(ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle POLL_NOW = critical("poll", i(JAVA_LONG, JAVA_LONG, JAVA_INT));
    private static final MethodHandle POLL = blocking("poll", i(JAVA_LONG, JAVA_LONG, JAVA_INT));
    private static final MethodHandle PIPE = critical("pipe", i(ADDRESS));
    private static final MethodHandle GETPID = critical("getpid", i());
    private static final MethodHandle SHUTDOWN_QUIET = quiet("shutdown", i(JAVA_INT, JAVA_INT), true);
    private static final MethodHandle SETSOCKOPT_QUIET =
            quiet("setsockopt", i(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT), true);
    private static final MethodHandle CLOSE_QUIET = quiet("close", i(JAVA_INT), false);
    private static final MethodHandle STRERROR =
            LINKER.downcallHandle(C.find("strerror").orElseThrow(), FunctionDescriptor.of(ADDRESS, JAVA_INT));

    // Linux
    private static final MethodHandle ACCEPT4 = critical("accept4", i(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    private static final MethodHandle EVENTFD = critical("eventfd", i(JAVA_INT, JAVA_INT));
    private static final MethodHandle EPOLL_CREATE1 = critical("epoll_create1", i(JAVA_INT));
    private static final MethodHandle EPOLL_CTL = critical("epoll_ctl", i(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle EPOLL_WAIT = blocking("epoll_wait", i(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT));
    private static final MethodHandle OPEN = critical("open", i(ADDRESS, JAVA_INT, JAVA_INT), VARARGS_FROM_2);
    /** Not critical: entering a namespace is rare and the kernel may wait for RCU. */
    private static final MethodHandle SETNS = blocking("setns", i(JAVA_INT, JAVA_INT));

    // posix_spawn and process control
    private static final MethodHandle FA_INIT = critical("posix_spawn_file_actions_init", i(JAVA_LONG));
    private static final MethodHandle FA_DESTROY = critical("posix_spawn_file_actions_destroy", i(JAVA_LONG));
    private static final MethodHandle FA_ADDDUP2 =
            critical("posix_spawn_file_actions_adddup2", i(JAVA_LONG, JAVA_INT, JAVA_INT));
    private static final MethodHandle FA_ADDCLOSE = critical("posix_spawn_file_actions_addclose", i(JAVA_LONG, JAVA_INT));
    private static final MethodHandle FA_ADDOPEN =
            critical("posix_spawn_file_actions_addopen", i(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle FA_ADDCLOSEFROM =
            critical("posix_spawn_file_actions_addclosefrom_np", i(JAVA_LONG, JAVA_INT));
    private static final MethodHandle ATTR_INIT = critical("posix_spawnattr_init", i(JAVA_LONG));
    private static final MethodHandle ATTR_DESTROY = critical("posix_spawnattr_destroy", i(JAVA_LONG));
    private static final MethodHandle ATTR_SETFLAGS = critical("posix_spawnattr_setflags", i(JAVA_LONG, JAVA_SHORT));
    private static final MethodHandle ATTR_SETSIGMASK = critical("posix_spawnattr_setsigmask", i(JAVA_LONG, JAVA_LONG));
    private static final MethodHandle ATTR_SETSIGDEFAULT =
            critical("posix_spawnattr_setsigdefault", i(JAVA_LONG, JAVA_LONG));
    private static final MethodHandle SIGEMPTYSET = critical("sigemptyset", i(JAVA_LONG));
    private static final MethodHandle SIGFILLSET = critical("sigfillset", i(JAVA_LONG));
    private static final MethodHandle SPAWNP =
            blocking("posix_spawnp", i(ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle WAITPID = blocking("waitpid", i(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle KILL = critical("kill", i(JAVA_INT, JAVA_INT));

    private static MemorySegment state() {
        return CAPTURE.get();
    }

    static int errno() {
        return CAPTURE.get().get(JAVA_INT, ERRNO_OFFSET);
    }

    static long address(ByteBuffer direct) {
        // The segment of a buffer starts at its position.
        return MemorySegment.ofBuffer(direct).address() - direct.position();
    }

    private static MemorySegment heap(byte[] a) {
        return MemorySegment.ofArray(a);
    }

    private static MemorySegment heap(int[] a) {
        return MemorySegment.ofArray(a);
    }

    private static Error fail(Throwable t) {
        if (t instanceof RuntimeException e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new AssertionError("downcall threw " + t, t);
    }

    static int socket(int domain, int type, int protocol) {
        try {
            return (int) SOCKET.invokeExact(state(), domain, type, protocol);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int bind(int fd, byte[] addr, int len) {
        try {
            return (int) BIND.invokeExact(state(), fd, heap(addr), len);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int listen(int fd, int backlog) {
        try {
            return (int) LISTEN.invokeExact(state(), fd, backlog);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int accept(int fd, byte[] addr, int[] len) {
        try {
            return (int) ACCEPT.invokeExact(state(), fd, heap(addr), heap(len));
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int connect(int fd, long addr, int len) {
        try {
            return (int) CONNECT.invokeExact(state(), fd, addr, len);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int getsockname(int fd, byte[] addr, int[] len) {
        try {
            return (int) GETSOCKNAME.invokeExact(state(), fd, heap(addr), heap(len));
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int getpeername(int fd, byte[] addr, int[] len) {
        try {
            return (int) GETPEERNAME.invokeExact(state(), fd, heap(addr), heap(len));
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static long recv(int fd, long buf, long len, int flags) {
        try {
            return (flags & Os.MSG_DONTWAIT) != 0
                    ? (long) RECV_NOWAIT.invokeExact(state(), fd, buf, len, flags)
                    : (long) RECV.invokeExact(state(), fd, buf, len, flags);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static long send(int fd, long buf, long len, int flags) {
        try {
            return (flags & Os.MSG_DONTWAIT) != 0
                    ? (long) SEND_NOWAIT.invokeExact(state(), fd, buf, len, flags)
                    : (long) SEND.invokeExact(state(), fd, buf, len, flags);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static long read(int fd, long buf, long len) {
        try {
            return (long) READ.invokeExact(state(), fd, buf, len);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static long write(int fd, long buf, long len) {
        try {
            return (long) WRITE.invokeExact(state(), fd, buf, len);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static long sendto(int fd, byte[] buf, long len, int flags, byte[] addr, int addrlen) {
        try {
            return (long) SENDTO.invokeExact(state(), fd, heap(buf), len, flags, heap(addr), addrlen);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int shutdown(int fd, int how) {
        try {
            return (int) SHUTDOWN.invokeExact(state(), fd, how);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int close(int fd) {
        try {
            return (int) CLOSE.invokeExact(state(), fd);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int shutdownNoErrno(int fd, int how) {
        try {
            return (int) SHUTDOWN_QUIET.invokeExact(fd, how);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int closeNoErrno(int fd) {
        try {
            return (int) CLOSE_QUIET.invokeExact(fd);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int setsockoptNoErrno(int fd, int level, int name, long val, int len) {
        try {
            return (int) SETSOCKOPT_QUIET.invokeExact(fd, level, name, val, len);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int setsockopt(int fd, int level, int name, int[] val, int len) {
        try {
            return (int) SETSOCKOPT_HEAP.invokeExact(state(), fd, level, name, heap(val), len);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int setsockopt(int fd, int level, int name, long val, int len) {
        try {
            return (int) SETSOCKOPT.invokeExact(state(), fd, level, name, val, len);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int getsockopt(int fd, int level, int name, int[] val, int[] len) {
        try {
            return (int) GETSOCKOPT_HEAP.invokeExact(state(), fd, level, name, heap(val), heap(len));
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int getsockopt(int fd, int level, int name, byte[] val, int[] len) {
        try {
            return (int) GETSOCKOPT_HEAP.invokeExact(state(), fd, level, name, heap(val), heap(len));
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int fcntl(int fd, int cmd, int arg) {
        try {
            return (int) FCNTL.invokeExact(state(), fd, cmd, arg);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int ioctl(int fd, long request, int[] arg) {
        try {
            return (int) IOCTL_HEAP.invokeExact(state(), fd, request, heap(arg));
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int ioctl(int fd, long request, long argp) {
        try {
            return (int) IOCTL.invokeExact(state(), fd, request, argp);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int poll(int[] fds, long nfds, int timeoutMillis) {
        try {
            if (timeoutMillis == 0) {
                return (int) POLL_NOW_HEAP.invokeExact(state(), heap(fds), nfds, timeoutMillis);
            }
            try (Arena a = Arena.ofConfined()) {
                MemorySegment copy = a.allocate(4L * fds.length, 8);
                MemorySegment.copy(fds, 0, copy, JAVA_INT, 0, fds.length);
                int r = (int) POLL.invokeExact(state(), copy.address(), nfds, timeoutMillis);
                MemorySegment.copy(copy, JAVA_INT, 0, fds, 0, fds.length);
                return r;
            }
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int poll(long fds, long nfds, int timeoutMillis) {
        try {
            return timeoutMillis == 0
                    ? (int) POLL_NOW.invokeExact(state(), fds, nfds, timeoutMillis)
                    : (int) POLL.invokeExact(state(), fds, nfds, timeoutMillis);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int pipe(int[] fds) {
        try {
            return (int) PIPE.invokeExact(state(), heap(fds));
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int getpid() {
        try {
            return (int) GETPID.invokeExact(state());
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static String strerror(int errnum) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errnum);
            return s.equals(MemorySegment.NULL) ? null : s.reinterpret(Long.MAX_VALUE).getString(0);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int accept4(int fd, byte[] addr, int[] len, int flags) {
        try {
            return (int) ACCEPT4.invokeExact(state(), fd, heap(addr), heap(len), flags);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int eventfd(int initval, int flags) {
        try {
            return (int) EVENTFD.invokeExact(state(), initval, flags);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int epoll_create1(int flags) {
        try {
            return (int) EPOLL_CREATE1.invokeExact(state(), flags);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int epoll_ctl(int epfd, int op, int fd, long event) {
        try {
            return (int) EPOLL_CTL.invokeExact(state(), epfd, op, fd, event);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int epoll_wait(int epfd, long events, int maxevents, int timeoutMillis) {
        try {
            return (int) EPOLL_WAIT.invokeExact(state(), epfd, events, maxevents, timeoutMillis);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int open(byte[] path, int flags, int mode) {
        try {
            return (int) OPEN.invokeExact(state(), heap(path), flags, mode);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int setns(int fd, int nstype) {
        try {
            return (int) SETNS.invokeExact(state(), fd, nstype);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int spawnCall(MethodHandle h, long a) {
        try {
            return (int) h.invokeExact(state(), a);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int posix_spawn_file_actions_init(long fa) {
        return spawnCall(FA_INIT, fa);
    }

    static int posix_spawn_file_actions_destroy(long fa) {
        return spawnCall(FA_DESTROY, fa);
    }

    static int posix_spawn_file_actions_adddup2(long fa, int fd, int newfd) {
        try {
            return (int) FA_ADDDUP2.invokeExact(state(), fa, fd, newfd);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int posix_spawn_file_actions_addclose(long fa, int fd) {
        try {
            return (int) FA_ADDCLOSE.invokeExact(state(), fa, fd);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int posix_spawn_file_actions_addopen(long fa, int fd, String path, int oflag, int mode) {
        try (Arena a = Arena.ofConfined()) {
            return (int) FA_ADDOPEN.invokeExact(state(), fa, fd, a.allocateFrom(path), oflag, mode);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int addCloseFrom(long fa, int from) {
        if (FA_ADDCLOSEFROM == null) {
            return -1;
        }
        try {
            return (int) FA_ADDCLOSEFROM.invokeExact(state(), fa, from);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int posix_spawnattr_init(long attr) {
        return spawnCall(ATTR_INIT, attr);
    }

    static int posix_spawnattr_destroy(long attr) {
        return spawnCall(ATTR_DESTROY, attr);
    }

    static int posix_spawnattr_setflags(long attr, short flags) {
        try {
            return (int) ATTR_SETFLAGS.invokeExact(state(), attr, flags);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int posix_spawnattr_setsigmask(long attr, long sigset) {
        try {
            return (int) ATTR_SETSIGMASK.invokeExact(state(), attr, sigset);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int posix_spawnattr_setsigdefault(long attr, long sigset) {
        try {
            return (int) ATTR_SETSIGDEFAULT.invokeExact(state(), attr, sigset);
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int sigemptyset(long set) {
        return spawnCall(SIGEMPTYSET, set);
    }

    static int sigfillset(long set) {
        return spawnCall(SIGFILLSET, set);
    }

    static int posix_spawnp(int[] pid, String file, long fileActions, long attr, long argv, long envp) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(JAVA_INT);
            int rc = (int) SPAWNP.invokeExact(state(), p, a.allocateFrom(file), fileActions, attr, argv, envp);
            pid[0] = p.get(JAVA_INT, 0);
            return rc;
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int waitpid(int pid, int[] status, int options) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(JAVA_INT);
            int rc = (int) WAITPID.invokeExact(state(), pid, s, options);
            status[0] = s.get(JAVA_INT, 0);
            return rc;
        } catch (Throwable t) {
            throw fail(t);
        }
    }

    static int kill(int pid, int sig) {
        try {
            return (int) KILL.invokeExact(state(), pid, sig);
        } catch (Throwable t) {
            throw fail(t);
        }
    }
}
