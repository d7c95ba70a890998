package dev.teardown;

import dev.teardown.posix.Errno;
import dev.teardown.posix.Libc;
import dev.teardown.posix.Os;
import dev.teardown.posix.Sockaddr;
import dev.teardown.posix.SocketQueues;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * The close modes, and read-only views, for a socket someone else owns ({@link SocketOwner}): the engine behind
 * {@code JdkSockets} and {@code NettyTeardown}, for integrations. Each close runs the same steps as
 * {@link TcpSocket#close(CloseMode)} ({@code Closer}, one copy of each mode) on a reference of teardown's own:
 * {@code fcntl(F_DUPFD_CLOEXEC)} of the owner's number, checked by getsockname/getpeername, closed last. The
 * owner's number is never closed or used by teardown after its owner may have released it.
 *
 * <p>Finding the owner's number costs a few system calls: the owner's hint, then the numbers this class found
 * recently (a new socket takes the lowest free number, usually one a closed socket left), then one getpeername
 * per descriptor of the process ({@code /proc/self/fd}).
 */
public final class BorrowedSocket {
    private BorrowedSocket() {}

    /** How long an asynchronous close waits for a deferred owner close (a Selector that does not select). */
    private static final long RELEASE_WAIT_NANOS = 10_000_000_000L;

    /** How long an asynchronous close parks for a deferred owner close before closing its own reference. */
    private static final long OWNER_RELEASE_WAIT_NANOS = 1_000_000_000L;

    /** Numbers recently found: hints only (a racy ring; a stale entry costs one failed check). */
    private static final int[] RECENT = new int[8];
    private static int recentNext;

    /**
     * Ends the owner's connection with {@code mode} on the calling thread and has the owner close it. graceful and
     * linger wait: a virtual thread parks, a platform thread waits in poll(2).
     *
     * @throws IllegalArgumentException if an argument is null
     * @throws IllegalStateException if the owner has no connected addresses
     * @throws TcpException if the socket's descriptor cannot be found (ENOENT, with why)
     */
    public static CloseOutcome close(SocketOwner owner, CloseMode mode) throws IOException {
        Args.notNull("owner", owner);
        Args.notNull("mode", mode);
        long start = System.nanoTime();
        Descriptor d;
        try {
            d = open(owner);
        } catch (Ended ended) {
            return Closer.endedWithoutReference(owner, mode, start);
        }
        d.markClosing();
        d.claimExclusive();
        return new Closer(d, new SharedSocket(), mode, start, owner.remoteAddress(), owner).run();
    }

    /**
     * As {@link #close(SocketOwner, CloseMode)} without a thread waiting: the steps run on {@code steps} (an event
     * loop, or teardown's own close thread when null), waits are poller callbacks and timers. The future completes
     * once the owner's close(2) has happened (for a deferred {@link SocketOwner#release()}, when
     * {@link SocketOwner#released()} turns true, or after 10 s plus the mode's timeout, with a note).
     */
    public static CompletableFuture<CloseOutcome> closeAsync(SocketOwner owner, CloseMode mode, Executor steps) {
        Args.notNull("owner", owner);
        Args.notNull("mode", mode);
        long start = System.nanoTime();
        Executor ex = steps == null ? AsyncClose.TIMER : steps;
        Descriptor d;
        try {
            d = open(owner);
        } catch (Ended ended) {
            return CompletableFuture.supplyAsync(() -> Closer.endedWithoutReference(owner, mode, start), ex);
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        d.markClosing();
        CompletableFuture<CloseOutcome> done = new CompletableFuture<>();
        Closer closer = new Closer(d, new SharedSocket(), mode, start, owner.remoteAddress(), owner);
        if (steps == null) {
            closer.awaitOwnerReleaseUpTo(OWNER_RELEASE_WAIT_NANOS); // never on a caller's event loop: it would stall it
        }
        AsyncClose task = new AsyncClose(d, closer, ex, done, () -> { });
        try {
            ex.execute(task);
        } catch (RuntimeException rejected) {
            task.run();
        }
        return done.thenCompose(o -> closer.ownerDeferred()
                ? awaitRelease(owner, o, start + RELEASE_WAIT_NANOS + mode.timeoutNanos(), new CompletableFuture<>())
                : CompletableFuture.completedFuture(o));
    }

    private static CompletableFuture<CloseOutcome> awaitRelease(SocketOwner owner, CloseOutcome o, long until,
            CompletableFuture<CloseOutcome> f) {
        if (owner.released()) {
            f.complete(o);
        } else if (System.nanoTime() - until > 0) {
            f.complete(o);
        } else {
            AsyncClose.TIMER.schedule(() -> awaitRelease(owner, o, until, f), 200, TimeUnit.MICROSECONDS);
        }
        return f;
    }

    /**
     * Runs {@code query} with a descriptor number of teardown's own for the owner's socket (valid for the call,
     * closed after it) and returns its result: for read-only calls (TCP_INFO, poll, ioctl).
     *
     * @throws TcpException if the socket's descriptor cannot be found
     */
    public static <T> T query(SocketOwner owner, Query<T> query) throws IOException {
        Args.notNull("owner", owner);
        Args.notNull("query", query);
        int fd = dup(owner);
        try {
            return query.apply(fd);
        } finally {
            Sockets.closeRaw(fd);
        }
    }

    /** A read-only call on a descriptor number valid for the call only. */
    @FunctionalInterface
    public interface Query<T> {
        /** Runs the call on {@code fd}; may throw teardown's {@link TcpException}. */
        T apply(int fd) throws IOException;
    }

    private static Descriptor open(SocketOwner owner) throws IOException {
        return new Descriptor(dup(owner), owner.kind() + " socket (teardown's reference)");
    }

    /** A reference of teardown's own to the owner's socket: a checked dup of one of the process's numbers. */
    static int dup(SocketOwner owner) throws IOException {
        InetSocketAddress local = owner.localAddress();
        InetSocketAddress remote = owner.remoteAddress();
        if (local == null || remote == null) {
            throw new IllegalStateException("the socket is not connected (" + owner + "): there is no connection to end"
                    + " or inspect");
        }
        if (!owner.isOpen()) {
            throw new SocketClosedException("find the descriptor", Errno.EBADF, owner + " is already closed");
        }
        Os.requireSupported();
        int hint = owner.descriptorHint();
        // The owner's own number, read while it is open, names its socket until the owner's close, which marks the
        // owner closed first: a copy made now and checked open afterwards (below) needs no address check.
        int fd = hint >= 0 ? Libc.fcntl(hint, Os.F_DUPFD_CLOEXEC, 0) : -1;
        for (int i = 0; fd < 0 && i < RECENT.length; i++) {
            int c = RECENT[i];
            if (c > 0 && c != hint && sameRemote(c, remote)) {
                fd = dupIfSame(c, local, remote);
                if (fd >= 0) {
                    hint = c;
                }
            }
        }
        if (fd < 0) {
            hint = scan(local, remote);
            fd = hint >= 0 ? dupIfSame(hint, local, remote) : -1;
        }
        if (fd < 0 && owner.isOpen() && endedSocketAt(local)) {
            // a reset (or timed-out) connection has no peer address any more, so its number cannot be told apart;
            // the owner's socket is open and no connected descriptor names it: the kernel has ended it
            throw new Ended();
        }
        if (fd < 0) {
            throw TcpException.of("find the descriptor of " + owner + " (" + local + " -> " + remote + "): no descriptor"
                    + " of this process names that connection (closed meanwhile, or held by another process)", Errno.ENOENT);
        }
        // Open after the check: the number we duplicated named the owner's connection while it was open, and two open
        // sockets of one network namespace never share a connected pair of addresses.
        if (!owner.isOpen()) {
            Sockets.closeRaw(fd);
            throw new SocketClosedException("find the descriptor", Errno.EBADF, owner + " was closed meanwhile");
        }
        remember(hint);
        return fd;
    }

    private static void remember(int fd) {
        for (int c : RECENT) {
            if (c == fd) {
                return;
            }
        }
        int i = recentNext;
        RECENT[i] = fd;
        recentNext = (i + 1) % RECENT.length;
    }

    /** The connection was reset or timed out before the close: no descriptor names it any more. */
    static final class Ended extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Ended() {
            super(null, null, false, false);
        }
    }

    /** Duplicates {@code candidate} and keeps the copy only if it names the connection local -> remote. */
    private static int dupIfSame(int candidate, InetSocketAddress local, InetSocketAddress remote) {
        int n = Libc.fcntl(candidate, Os.F_DUPFD_CLOEXEC, 0);
        if (n < 0) {
            return -1;
        }
        if (remote.equals(name(n, true)) && local.equals(name(n, false))) {
            return n;
        }
        Sockets.closeRaw(n);
        return -1;
    }

    private static boolean sameRemote(int fd, InetSocketAddress remote) {
        return remote.equals(name(fd, true));
    }

    /** One getpeername per descriptor of the process; the number whose peer is {@code remote} and local {@code local}. */
    private static int scan(InetSocketAddress local, InetSocketAddress remote) {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(SELF_FD)) {
            for (Path p : fds) {
                int fd;
                try {
                    fd = Integer.parseInt(p.getFileName().toString());
                } catch (NumberFormatException e) {
                    continue;
                }
                if (sameRemote(fd, remote) && local.equals(name(fd, false))) {
                    return fd;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /**
     * The errno behind an I/O failure of the JDK or Netty, from its message (neither keeps the errno): ECONNRESET,
     * EPIPE or ETIMEDOUT; 0 if not recognised.
     */
    public static int errnoOf(IOException e) {
        String m = String.valueOf(e.getMessage());
        if (m.contains("Connection reset")) {
            return Errno.ECONNRESET;
        }
        if (m.contains("Broken pipe")) {
            return Errno.EPIPE;
        }
        if (m.contains("timed out")) {
            return Errno.ETIMEDOUT;
        }
        return 0;
    }

    /** True if a descriptor of this process has local address {@code local} and a connection the kernel ended. */
    private static boolean endedSocketAt(InetSocketAddress local) {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(SELF_FD)) {
            for (Path p : fds) {
                int fd;
                try {
                    fd = Integer.parseInt(p.getFileName().toString());
                } catch (NumberFormatException e) {
                    continue;
                }
                if (name(fd, true) == null && local.equals(name(fd, false)) && SocketQueues.tcpState(fd) == Os.TCP_CLOSE) {
                    return true;
                }
            }
        } catch (IOException | RuntimeException e) {
            return false;
        }
        return false;
    }

    private static final Path SELF_FD = Paths.get("/proc/self/fd");

    private static InetSocketAddress name(int fd, boolean peer) {
        byte[] sa = new byte[Sockaddr.MAX_LEN];
        int[] len = {sa.length};
        int r = peer ? Libc.getpeername(fd, sa, len) : Libc.getsockname(fd, sa, len);
        return r < 0 ? null : Sockaddr.decode(sa, len[0]);
    }
}
