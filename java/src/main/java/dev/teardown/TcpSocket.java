package dev.teardown;

import dev.teardown.inspect.AllocationSites;
import dev.teardown.inspect.PeerCheck;
import dev.teardown.inspect.TcpInfo;
import dev.teardown.inspect.TcpState;
import dev.teardown.posix.Buffers;
import dev.teardown.posix.Errno;
import dev.teardown.posix.Libc;
import dev.teardown.posix.Os;
import dev.teardown.posix.Sockaddr;
import java.lang.ref.Reference;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A connected TCP socket that owns one descriptor and ends the way you say.
 *
 * <p>{@link #close(CloseMode)} names what goes on the wire: {@link CloseMode#RELEASE} drops this
 * descriptor (FIN only if it was the last reference), {@link CloseMode#SHUTDOWN} sends FIN for every
 * holder, {@link CloseMode#ABORT} sends RST, {@link CloseMode#graceful graceful} sends FIN and drains
 * to the peer's FIN, {@link CloseMode#linger linger} waits for our data to be acknowledged. Each
 * returns a {@link CloseOutcome} saying what was sent. {@link #close()} applies the default mode,
 * RELEASE unless changed with {@link #defaultCloseMode(CloseMode)} or by the listener that accepted it.
 *
 * <p>The descriptor is close-on-exec and stays in blocking mode (it may be shared with children);
 * reads and writes use per-call MSG_DONTWAIT and poll. Calls may come from any thread. A close from
 * another thread wakes a thread blocked in read or write within milliseconds with
 * {@link SocketClosedException}, through a private wake-up descriptor that other holders of the socket
 * do not see; the descriptor number is released only after every call using it has returned, and
 * exactly once.
 */
public final class TcpSocket implements AutoCloseable {
    static {
        dev.teardown.spawn.Handles.install(new dev.teardown.spawn.Handles.Access() {
            @Override
            public int acquire(TcpSocket s, String call) throws TcpException {
                return s.d.acquire(call);
            }

            @Override
            public void release(TcpSocket s) {
                s.d.release();
            }

            @Override
            public Runnable childStarted(TcpSocket s, long pid) {
                SharedSocket shared = s.shared;
                shared.references.incrementAndGet();
                shared.children.add(pid);
                return () -> {
                    shared.children.remove(pid);
                    shared.references.decrementAndGet();
                };
            }
        });
    }

    private final Descriptor d;
    private final SharedSocket shared;
    private final InetSocketAddress remote;
    private volatile CloseMode defaultMode;
    private final java.lang.ref.Cleaner.Cleanable cleanable;

    TcpSocket(Descriptor d, SharedSocket shared, InetSocketAddress remote, CloseMode defaultMode) {
        this.d = d;
        this.shared = shared;
        this.remote = remote;
        this.defaultMode = defaultMode;
        this.cleanable = SafetyNet.CLEANER.register(this, new SafetyNet.Action(d, shared, "socket to ", remote));
    }

    /**
     * Opens a socket and connects it, blocking until the handshake completes or fails.
     *
     * @throws ConnectionRefusedException if the peer answered with RST (nothing listens there)
     * @throws AddressNotAvailableException if no local port was free (port exhaustion)
     * @throws IllegalArgumentException if {@code remote} is null, unresolved, or has port 0
     */
    public static TcpSocket connect(InetSocketAddress remote) throws TcpException {
        return connect0(remote, -1);
    }

    /**
     * As {@link #connect(InetSocketAddress)}, giving up after {@code timeout}.
     *
     * @throws TimedOutException if the handshake did not complete in time (the attempt is abandoned
     *     and the descriptor closed)
     * @throws IllegalArgumentException if {@code timeout} is null, negative or too large
     */
    public static TcpSocket connect(InetSocketAddress remote, Duration timeout) throws TcpException {
        return connect0(remote, Args.nonNegativeNanos("timeout", timeout));
    }

    private static TcpSocket connect0(InetSocketAddress remote, long timeoutNanos) throws TcpException {
        Args.resolved("remote", remote, false);
        Os.requireSupported();
        int fd = Sockets.open(Sockaddr.family(remote.getAddress()), "connect to ", remote);
        Descriptor d = new Descriptor(fd, "socket");
        AllocationSites.record(fd);
        TcpSocket s = new TcpSocket(d, new SharedSocket(), remote, CloseMode.RELEASE);
        boolean ok = false;
        try {
            s.doConnect(remote, timeoutNanos);
            ok = true;
            return s;
        } finally {
            if (!ok) {
                s.close(CloseMode.ABORT);
            }
        }
    }

    private void doConnect(InetSocketAddress remote, long timeoutNanos) throws TcpException {
        // Nobody else can see this handle until connect returns it, so no close can race with the handshake:
        // it needs neither the use count's wake-up descriptor nor a poll when there is no deadline.
        int fd = d.acquire("connect");
        try {
            byte[] sa = new byte[Sockaddr.MAX_LEN];
            int len = Sockaddr.encode(remote, sa);
            if (timeoutNanos < 0) {
                // No deadline: a blocking connect(2), as C does.
                if (Libc.connect(fd, Buffers.cell().put(sa, len), len) == 0) {
                    return;
                }
                int e = Libc.errno();
                if (e != Errno.EINTR) {
                    throw TcpException.of("connect to " + remote, e);
                }
                // A signal interrupted it; the handshake goes on in the kernel: wait for its result.
                awaitConnected(fd, remote, -1);
                return;
            }
            // The fd is new and nobody else holds it yet, so O_NONBLOCK is safe for the handshake.
            int fl = Libc.fcntl(fd, Os.F_GETFL, 0);
            Libc.fcntl(fd, Os.F_SETFL, fl | Os.O_NONBLOCK);
            try {
                if (Libc.connect(fd, sa, len) < 0) {
                    int e = Libc.errno();
                    if (e != Errno.EINPROGRESS && e != Errno.EINTR) {
                        throw TcpException.of("connect to " + remote, e);
                    }
                    awaitConnected(fd, remote, timeoutNanos);
                }
            } finally {
                Libc.fcntl(fd, Os.F_SETFL, fl & ~Os.O_NONBLOCK);
            }
        } finally {
            d.release();
            Reference.reachabilityFence(this); // the safety net must not close the handle mid-call
        }
    }

    /**
     * Waits for a connect(2) in progress (negative timeout: no limit) and throws its error, if any. A plain
     * poll on the socket alone: no other thread can close this handle yet.
     */
    private static void awaitConnected(int fd, InetSocketAddress remote, long timeoutNanos) throws TcpException {
        int[] pfd = {fd, Os.POLLOUT};
        long deadline = timeoutNanos < 0 ? 0 : System.nanoTime() + timeoutNanos;
        for (;;) {
            int ms = -1;
            if (timeoutNanos >= 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new TimedOutException("connect to " + remote, 0, "timed out after " + Duration.ofNanos(timeoutNanos));
                }
                ms = (int) Math.min(Integer.MAX_VALUE, (left + 999_999) / 1_000_000);
            }
            int r = Libc.poll(pfd, 1, ms);
            if (r < 0) {
                int e = Libc.errno();
                if (e == Errno.EINTR) {
                    continue;
                }
                throw TcpException.of("poll", e);
            }
            if (r > 0 && (pfd[1] >>> 16) != 0) {
                break;
            }
            pfd[1] = Os.POLLOUT;
        }
        int[] err = {0};
        Libc.getsockopt(fd, Os.SOL_SOCKET, Os.SO_ERROR, err, new int[] {4});
        if (err[0] != 0) {
            throw TcpException.of("connect to " + remote, err[0]);
        }
    }

    /**
     * Reads into {@code dst}, blocking until at least one byte arrives.
     *
     * @return the number of bytes read, 0 if {@code dst} has no room, or -1 at end of stream (the
     *     peer's FIN)
     * @throws ConnectionResetException if the peer reset the connection
     * @throws SocketClosedException if this handle was closed, before or during the call
     */
    public int read(ByteBuffer dst) throws TcpException {
        return read0(dst, -1);
    }

    /**
     * As {@link #read(ByteBuffer)}, waiting at most {@code timeout} for data.
     *
     * @throws TimedOutException if no byte and no FIN arrived in time (errno 0)
     */
    public int read(ByteBuffer dst, Duration timeout) throws TcpException {
        return read0(dst, Args.nonNegativeNanos("timeout", timeout));
    }

    private int read0(ByteBuffer dst, long timeoutNanos) throws TcpException {
        Args.notNull("dst", dst);
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("dst is read-only");
        }
        int room = dst.remaining();
        if (room == 0) {
            return 0;
        }
        int fd = d.acquire("read");
        try {
            long deadline = timeoutNanos < 0 ? 0 : System.nanoTime() + timeoutNanos;
            boolean direct = dst.isDirect();
            for (;;) {
                long n;
                if (direct) {
                    n = Libc.recv(fd, Buffers.address(dst) + dst.position(), room, Os.MSG_DONTWAIT);
                } else {
                    n = Libc.recv(fd, Buffers.scratchAddress(), Math.min(room, Buffers.SCRATCH_SIZE), Os.MSG_DONTWAIT);
                    if (n > 0) {
                        dst.put(Buffers.scratch().limit((int) n));
                        return (int) n;
                    }
                }
                if (n > 0) {
                    dst.position(dst.position() + (int) n);
                    return (int) n;
                }
                if (n == 0) {
                    return -1;
                }
                int e = Libc.errno();
                if (e == Errno.EINTR) {
                    continue;
                }
                if (e != Errno.EAGAIN) {
                    throw TcpException.of("read", e);
                }
                long left = timeoutNanos < 0 ? -1 : deadline - System.nanoTime();
                if (timeoutNanos >= 0 && (left <= 0 || d.await("read", Os.POLLIN, left) == 0)) {
                    throw new TimedOutException("read", 0, "no data within " + Duration.ofNanos(timeoutNanos));
                }
                if (timeoutNanos < 0) {
                    d.await("read", Os.POLLIN, -1);
                }
            }
        } finally {
            d.release();
            Reference.reachabilityFence(this); // the safety net must not close the handle mid-call
        }
    }

    /**
     * Writes every remaining byte of {@code src}, blocking while the send buffer is full.
     *
     * @return the number of bytes written
     * @throws TcpException with {@code EPIPE} if output was shut down or the peer is gone, or
     *     {@link ConnectionResetException}
     */
    public int write(ByteBuffer src) throws TcpException {
        Args.notNull("src", src);
        int total = 0;
        int fd = d.acquire("write");
        try {
            if (shared.outputShutdown && src.hasRemaining()) {
                throw new TcpException("write", Errno.EPIPE, "output was already shut down (FIN sent); nothing more can be written");
            }
            while (src.hasRemaining()) {
                int want = src.remaining();
                long n;
                if (src.isDirect()) {
                    n = Libc.send(fd, Buffers.address(src) + src.position(), want, Os.MSG_DONTWAIT | Os.MSG_NOSIGNAL);
                } else {
                    int chunk = Math.min(want, Buffers.SCRATCH_SIZE);
                    ByteBuffer scratch = Buffers.scratch();
                    int pos = src.position();
                    scratch.put(src.duplicate().limit(pos + chunk));
                    n = Libc.send(fd, Buffers.scratchAddress(), chunk, Os.MSG_DONTWAIT | Os.MSG_NOSIGNAL);
                }
                if (n >= 0) {
                    src.position(src.position() + (int) n);
                    total += (int) n;
                    continue;
                }
                int e = Libc.errno();
                if (e == Errno.EINTR) {
                    continue;
                }
                if (e != Errno.EAGAIN) {
                    throw TcpException.of("write", e);
                }
                d.await("write", Os.POLLOUT, -1);
            }
            return total;
        } finally {
            d.release();
            Reference.reachabilityFence(this); // the safety net must not close the handle mid-call
        }
    }

    /** shutdown(SHUT_WR): sends FIN after the data already written, for every holder of the socket. */
    public void shutdownOutput() throws TcpException {
        int fd = d.acquire("shutdownOutput");
        try {
            if (Libc.shutdown(fd, Os.SHUT_WR) < 0) {
                throw TcpException.of("shutdownOutput", Libc.errno());
            }
            shared.outputShutdown = true;
        } finally {
            d.release();
            Reference.reachabilityFence(this); // the safety net must not close the handle mid-call
        }
    }

    /**
     * shutdown(SHUT_RD): marks our reading half shut. Nothing is sent. Reads return end-of-stream once the
     * data already queued is consumed; Linux still acknowledges (and may deliver) data the peer keeps sending,
     * and unread input left at close still makes the kernel send RST.
     */
    public void shutdownInput() throws TcpException {
        int fd = d.acquire("shutdownInput");
        try {
            if (Libc.shutdown(fd, Os.SHUT_RD) < 0) {
                throw TcpException.of("shutdownInput", Libc.errno());
            }
            shared.inputShutdown = true;
        } finally {
            d.release();
            Reference.reachabilityFence(this); // the safety net must not close the handle mid-call
        }
    }

    /**
     * A second descriptor of the same socket (fcntl F_DUPFD_CLOEXEC), counted in {@link #references()}.
     * While it is open, RELEASE on either sends nothing; SHUTDOWN on either ends the connection for both.
     * The copy starts with this socket's default close mode.
     */
    public TcpSocket dup() throws TcpException {
        int fd = d.acquire("dup");
        try {
            int nfd = Libc.fcntl(fd, Os.F_DUPFD_CLOEXEC, 0);
            if (nfd < 0) {
                throw TcpException.of("dup", Libc.errno());
            }
            TcpSocket copy;
            try {
                copy = new TcpSocket(new Descriptor(nfd, "socket"), shared, remote, defaultMode);
            } catch (RuntimeException | Error e) {
                Sockets.closeRaw(nfd); // no handle was made: nobody else can close it
                throw e;
            }
            shared.references.incrementAndGet();
            return copy;
        } finally {
            d.release();
            Reference.reachabilityFence(this); // the safety net must not close the handle mid-call
        }
    }

    /**
     * How many descriptors of this socket that teardown knows about are open (this one, its dups).
     * The kernel sends FIN when the last one is released.
     */
    public int references() {
        return shared.references.get();
    }

    /**
     * The descriptor number, for logging and for tools such as {@code ss -p}. Do not close it or pass it
     * to code that might: teardown owns it.
     *
     * @throws SocketClosedException if this handle is closed (the number may already name another file)
     */
    public int fd() throws SocketClosedException {
        if (!d.isOpen()) {
            throw SocketClosedException.closed("fd", "socket");
        }
        return d.fd;
    }

    /**
     * getsockopt(TCP_INFO): the kernel's view of this connection (state, rtt, retransmits, queues...).
     * Fields the running kernel does not fill are absent, not zero.
     */
    public TcpInfo tcpInfo() throws TcpException {
        return onFd("tcpInfo", TcpInfo::of);
    }

    /** The TCP state of this connection (from TCP_INFO), e.g. CLOSE_WAIT once the peer has sent FIN. */
    public TcpState state() throws TcpException {
        return onFd("state", TcpInfo::stateOf);
    }

    /**
     * True if the peer has sent FIN (poll with POLLRDHUP, zero timeout: never blocks, reads nothing), even
     * while data it sent before is still unread. A peer that closed is the first step of a CLOSE_WAIT leak:
     * finish reading and close.
     */
    public boolean isPeerClosed() throws TcpException {
        return onFd("isPeerClosed", PeerCheck::isPeerClosed);
    }

    /** A read-only query on the descriptor. */
    private interface FdQuery<T> {
        T apply(int fd) throws TcpException;
    }

    /** Runs {@code query} holding a use of the descriptor, so a concurrent close cannot release it meanwhile. */
    private <T> T onFd(String call, FdQuery<T> query) throws TcpException {
        int fd = d.acquire(call);
        try {
            return query.apply(fd);
        } finally {
            d.release();
            Reference.reachabilityFence(this); // the safety net must not close the handle mid-call
        }
    }

    /** True until {@link #close(CloseMode)} or {@link #close()} has been called. */
    public boolean isOpen() {
        return d.isOpen();
    }

    /** getsockname(2): the local address and port. */
    public InetSocketAddress localAddress() throws TcpException {
        return Sockets.name(d, true, "localAddress");
    }

    /** The peer's address and port (from connect or accept; it does not change). */
    public InetSocketAddress remoteAddress() {
        return remote;
    }

    /** setsockopt(2). See {@link TcpOption} for each option's effect and range. */
    public <T> void setOption(TcpOption<T> option, T value) throws TcpException {
        Args.notNull("option", option);
        Sockets.setOption(d, option, value);
        if (option == TcpOption.SO_LINGER) {
            shared.lingerZero = value != null && ((Duration) value).isZero();
        }
    }

    /** getsockopt(2). */
    public <T> T option(TcpOption<T> option) throws TcpException {
        Args.notNull("option", option);
        return Sockets.getOption(d, option);
    }

    /** Sets the mode {@link #close()} applies. */
    public TcpSocket defaultCloseMode(CloseMode mode) {
        this.defaultMode = Args.notNull("mode", mode);
        return this;
    }

    /** The mode {@link #close()} applies. */
    public CloseMode defaultCloseMode() {
        return defaultMode;
    }

    /**
     * Ends this handle the way {@code mode} says and reports what went on the wire. Blocked reads and
     * writes on this handle are woken with {@link SocketClosedException}; their descriptor is closed
     * once they have left. Never throws for a kernel error: whatever fails, close(2) runs exactly once
     * and the outcome says what was done. Closing a closed handle does nothing and says so.
     *
     * <p>graceful and linger block the calling thread up to their timeout; see {@link #closeAsync}.
     */
    public CloseOutcome close(CloseMode mode) {
        Args.notNull("mode", mode);
        long start = System.nanoTime();
        if (!d.beginClose()) {
            return CloseOutcome.alreadyClosed(mode, shared.references.get());
        }
        d.claim();
        d.awaitExclusive();
        CloseOutcome o = Closer.close(d, shared, mode, start, remote);
        cleanable.clean(); // deregisters: the action sees the handle closed and does nothing
        return o;
    }

    /**
     * Applies the default close mode ({@link CloseMode#RELEASE} unless changed). Idempotent.
     */
    @Override
    public void close() {
        close(defaultMode);
    }

    /**
     * Starts the close on a teardown daemon thread and returns at once: the handle is closed to new calls
     * before this returns, and the future completes with the outcome. Use it for {@link CloseMode#linger}
     * and {@link CloseMode#graceful} without blocking an event loop.
     */
    public CompletableFuture<CloseOutcome> closeAsync(CloseMode mode) {
        return closeAsync(mode, AsyncCloser.EXECUTOR);
    }

    /** As {@link #closeAsync(CloseMode)}, running the close on {@code executor}. */
    public CompletableFuture<CloseOutcome> closeAsync(CloseMode mode, Executor executor) {
        Args.notNull("mode", mode);
        Args.notNull("executor", executor);
        long start = System.nanoTime();
        if (!d.beginClose()) {
            return CompletableFuture.completedFuture(CloseOutcome.alreadyClosed(mode, shared.references.get()));
        }
        CompletableFuture<CloseOutcome> f = new CompletableFuture<>();
        try {
            executor.execute(() -> {
                if (!d.claim()) {
                    return; // the safety net already closed it (cannot happen while this task holds the handle)
                }
                try {
                    d.awaitExclusive();
                    f.complete(Closer.close(d, shared, mode, start, remote));
                } catch (Throwable t) {
                    f.completeExceptionally(t);
                } finally {
                    cleanable.clean();
                }
            });
        } catch (RuntimeException rejected) {
            // The executor refused: close here rather than leak the descriptor.
            if (d.claim()) {
                d.awaitExclusive();
                f.complete(Closer.close(d, shared, mode, start, remote));
                cleanable.clean();
            }
        }
        // An executor that accepts the task and then drops it (shutdownNow, a discard policy) leaves the handle
        // closing but unclaimed: once the handle is unreachable, the safety net claims and closes it.
        return f;
    }

    @Override
    public String toString() {
        return "TcpSocket[" + (d.isOpen() ? "fd " + d.fd : "closed") + ", remote " + remote + "]";
    }

    /** Default executor for asynchronous closes: daemon threads, created on demand. */
    private static final class AsyncCloser {
        static final Executor EXECUTOR = Executors.newCachedThreadPool(new ThreadFactory() {
            private final AtomicInteger n = new AtomicInteger();

            @Override
            public Thread newThread(Runnable r) {
                Thread t = new Thread(r, "teardown-close-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            }
        });
    }
}
