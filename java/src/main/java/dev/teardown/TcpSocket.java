package dev.teardown;

import dev.teardown.internal.SocketSites;
import dev.teardown.internal.SocketAccess;
import dev.teardown.posix.Buffers;
import dev.teardown.posix.Errno;
import dev.teardown.posix.Libc;
import dev.teardown.posix.Os;
import dev.teardown.posix.Sockaddr;
import dev.teardown.posix.Threads;
import java.lang.ref.Reference;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

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
 * <p>The descriptor is close-on-exec and its open file description never gets O_NONBLOCK (a child or a
 * dup shares it): every call tries the system call with MSG_DONTWAIT and, when it would block, waits without
 * pinning anything. A virtual thread <em>parks</em> on teardown's poller (epoll, one-shot registrations) and
 * frees its carrier; a platform thread waits in poll(2) beside a wake-up descriptor of its own (one per
 * thread, reused). Calls may come from any thread. A close from another thread wakes a waiting read, write
 * or connect at once with {@link SocketClosedException}; other holders of the socket see nothing of it. The
 * descriptor number is released only after every call using it has returned, and exactly once.
 *
 * <p>Close with a named mode and read what it did:
 * <!-- example: dev.teardown.snippets.CloseSnippets#close, a copy JavadocExamplesTest keeps equal to that compiled, tested region -->
 * <pre>
 * TcpSocket socket = TcpSocket.connect(server);
 * socket.write(ByteBuffer.wrap("PING\n".getBytes(StandardCharsets.US_ASCII)));
 * // FIN now, read what the peer still sends (up to 2 s), then close: nothing it sent is lost
 * CloseOutcome outcome = socket.close(CloseMode.graceful(Duration.ofSeconds(2)));
 * switch (outcome.sent()) {
 *     case FIN -&gt; System.out.println("orderly: " + outcome.detail());
 *     case RST, FIN_THEN_RST -&gt; System.out.println("reset: " + outcome.detail());
 *     case NOTHING -&gt; System.out.println("another holder keeps it open: " + outcome.referencesLeft());
 * }
 * </pre>
 */
public final class TcpSocket implements AutoCloseable {
    static {
        // The spawn package's way to a socket's descriptor, without the core importing spawn.
        SocketAccess.install(new SocketAccess.Access<TcpSocket>() {
            @Override
            public int acquire(TcpSocket s, String call) throws TcpException {
                s.shared.numberExposed = true;
                return s.d.acquire(call).fd();
            }

            @Override
            public void release(TcpSocket s) {
                s.d.use().close();
            }

            @Override
            public Runnable childStarted(TcpSocket s, long pid) {
                SharedSocket shared = s.shared;
                shared.childStarted(pid);
                return () -> shared.childExited(pid);
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
     * Opens a socket and connects it, waiting until the handshake completes or fails. A virtual thread parks
     * meanwhile (its carrier is free; an interrupt abandons the attempt with a {@link TcpException} whose errno is
     * EINTR); a platform thread makes a blocking connect(2), as C does. No handle exists yet to close: use the
     * timeout overload to bound the wait.
     *
     * @throws ConnectionRefusedException if the peer answered with RST (nothing listens there)
     * @throws AddressNotAvailableException if no local port was free (port exhaustion)
     * @throws IllegalArgumentException if {@code remote} is null, unresolved, or has port 0
     */
    public static TcpSocket connect(InetSocketAddress remote) throws TcpException {
        return connect0(remote, -1);
    }

    /**
     * As {@link #connect(InetSocketAddress)}, giving up after {@code timeout} (exact to the millisecond). The
     * handshake runs non-blocking and the wait parks (virtual threads) or polls (platform threads).
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
        SocketSites.record(fd);
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
        // Nobody else can see this handle until connect returns it, so no close can race with the handshake.
        try (Descriptor.Use u = d.acquire("connect")) {
            int fd = u.fd();
            byte[] addr = new byte[Sockaddr.MAX_LEN];
            int len = Sockaddr.encode(remote, addr);
            if (timeoutNanos < 0 && !Threads.currentIsVirtual()) {
                // A platform thread without a deadline: a blocking connect(2), as C does (nothing to pin).
                if (connect(fd, addr, len) == 0) {
                    return;
                }
                int e = Libc.errno();
                if (e != Errno.EINTR) {
                    throw TcpException.of("connect to " + remote, e);
                }
                // A signal interrupted it; the handshake goes on in the kernel: wait for its result.
                awaitConnected(remote, Deadline.NONE);
                return;
            }
            // The fd is new and nobody else holds it yet, so O_NONBLOCK is safe for the handshake; it is cleared
            // before anyone else can see the socket.
            if (Libc.fcntl(fd, Os.F_SETFL, Os.O_NONBLOCK) < 0) {
                throw TcpException.of("fcntl(O_NONBLOCK) for connect to " + remote, Libc.errno());
            }
            try {
                if (connect(fd, addr, len) < 0) {
                    int e = Libc.errno();
                    if (e != Errno.EINPROGRESS && e != Errno.EINTR) {
                        throw TcpException.of("connect to " + remote, e);
                    }
                    awaitConnected(remote, Deadline.after(timeoutNanos));
                }
            } finally {
                if (Libc.fcntl(fd, Os.F_SETFL, 0) < 0) {
                    throw TcpException.of("fcntl(clear O_NONBLOCK) after connect to " + remote, Libc.errno());
                }
            }
        } finally {
            Reference.reachabilityFence(this); // the safety net must not close the handle mid-call
        }
    }

    /** connect(2) with the address in native memory held only for the call. */
    private static int connect(int fd, byte[] addr, int len) {
        try (Buffers.Cell sa = Buffers.cell()) {
            return Libc.connect(fd, sa.put(addr, len), len);
        }
    }

    /** Waits (parked, or in poll) for a connect(2) in progress and throws its error, if any. */
    private void awaitConnected(InetSocketAddress remote, Deadline deadline) throws TcpException {
        int fd = d.fd;
        for (;;) {
            try (Buffers.Cell pfd = Buffers.cell()) {
                if (Libc.poll(pfd.putInts(fd, Os.POLLOUT), 1, 0) > 0 && (pfd.getInt(1) >>> 16) != 0) {
                    break;
                }
            }
            if (!d.await("connect", Os.POLLOUT, deadline)) {
                throw new TimedOutException("connect to " + remote, 0, "timed out after " + deadline.length());
            }
        }
        int[] err = {0};
        if (Libc.getsockopt(fd, Os.SOL_SOCKET, Os.SO_ERROR, err, new int[] {4}) < 0) {
            throw TcpException.of("getsockopt(SO_ERROR) after connect to " + remote, Libc.errno());
        }
        if (err[0] != 0) {
            throw TcpException.of("connect to " + remote, err[0]);
        }
    }

    /**
     * Reads into {@code dst}, waiting until at least one byte arrives: a virtual thread parks on teardown's
     * poller (its carrier is free), a platform thread waits in poll(2). A close from another thread ends the wait
     * with {@link SocketClosedException}; an interrupted virtual thread gets a {@link TcpException} with errno
     * EINTR (its interrupt status stays set).
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
     * As {@link #read(ByteBuffer)}, waiting (parked, or in poll) at most {@code timeout} for data.
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
        try (Descriptor.Use u = d.acquire("read")) {
            int fd = u.fd();
            Deadline deadline = null;
            if (d.waitBeforeRead()) {
                deadline = Deadline.after(timeoutNanos);
                d.await("read", Os.POLLIN, deadline); // false: the time is up, and the recv below still has its try
            }
            for (;;) {
                long n;
                if (dst.isDirect()) {
                    n = Libc.recv(fd, Buffers.address(dst) + dst.position(), room, Os.MSG_DONTWAIT);
                    if (n > 0) {
                        d.readDone(n, room);
                        dst.position(dst.position() + (int) n);
                        return (int) n;
                    }
                } else {
                    try (Buffers.Scratch scratch = Buffers.scratch()) {
                        int ask = Math.min(room, Buffers.SCRATCH_SIZE);
                        n = Libc.recv(fd, scratch.address, ask, Os.MSG_DONTWAIT);
                        if (n > 0) {
                            d.readDone(n, ask);
                            dst.put(scratch.buffer().limit((int) n));
                            return (int) n;
                        }
                    }
                }
                if (n == 0) {
                    d.readDone(0, room); // EOF: the next read tries recv at once
                    return -1;
                }
                int e = Libc.errno();
                if (e == Errno.EINTR) {
                    continue;
                }
                if (e != Errno.EAGAIN) {
                    d.readDone(0, room);
                    throw TcpException.of("read", e);
                }
                if (deadline == null) {
                    deadline = Deadline.after(timeoutNanos);
                }
                if (!d.await("read", Os.POLLIN, deadline)) {
                    throw new TimedOutException("read", 0, "no data within " + deadline.length());
                }
            }
        } finally {
            Reference.reachabilityFence(this); // the safety net must not close the handle mid-call
        }
    }

    /**
     * Writes every remaining byte of {@code src}, waiting while the send buffer is full: a virtual thread parks
     * (its carrier is free), a platform thread waits in poll(2). A close from another thread ends the wait with
     * {@link SocketClosedException}.
     *
     * @return the number of bytes written
     * @throws TcpException with {@code EPIPE} if output was shut down or the peer is gone, or
     *     {@link ConnectionResetException}
     */
    public int write(ByteBuffer src) throws TcpException {
        Args.notNull("src", src);
        int total = 0;
        try (Descriptor.Use u = d.acquire("write")) {
            int fd = u.fd();
            if (shared.outputShutdown && src.hasRemaining()) {
                throw new TcpException("write", Errno.EPIPE, "output was already shut down (FIN sent); nothing more can be written");
            }
            while (src.hasRemaining()) {
                int want = src.remaining();
                long n;
                if (src.isDirect()) {
                    n = Libc.send(fd, Buffers.address(src) + src.position(), want, Os.MSG_DONTWAIT | Os.MSG_NOSIGNAL);
                } else {
                    try (Buffers.Scratch scratch = Buffers.scratch()) {
                        int chunk = Math.min(want, Buffers.SCRATCH_SIZE);
                        int pos = src.position();
                        scratch.buffer().put(src.duplicate().limit(pos + chunk));
                        n = Libc.send(fd, scratch.address, chunk, Os.MSG_DONTWAIT | Os.MSG_NOSIGNAL);
                    }
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
                d.await("write", Os.POLLOUT, Deadline.NONE);
            }
            return total;
        } finally {
            Reference.reachabilityFence(this); // the safety net must not close the handle mid-call
        }
    }

    /** shutdown(SHUT_WR): sends FIN after the data already written, for every holder of the socket. */
    public void shutdownOutput() throws TcpException {
        try (Descriptor.Use u = d.acquire("shutdownOutput")) {
            int fd = u.fd();
            if (Libc.shutdown(fd, Os.SHUT_WR) < 0) {
                throw TcpException.of("shutdownOutput", Libc.errno());
            }
            shared.outputShutdown = true;
        } finally {
            Reference.reachabilityFence(this); // the safety net must not close the handle mid-call
        }
    }

    /**
     * shutdown(SHUT_RD): marks our reading half shut. Nothing is sent. Reads return end-of-stream once the
     * data already queued is consumed; Linux still acknowledges (and may deliver) data the peer keeps sending,
     * and unread input left at close still makes the kernel send RST.
     */
    public void shutdownInput() throws TcpException {
        try (Descriptor.Use u = d.acquire("shutdownInput")) {
            int fd = u.fd();
            if (Libc.shutdown(fd, Os.SHUT_RD) < 0) {
                throw TcpException.of("shutdownInput", Libc.errno());
            }
            shared.inputShutdown = true;
        } finally {
            Reference.reachabilityFence(this); // the safety net must not close the handle mid-call
        }
    }

    /**
     * A second descriptor of the same socket (fcntl F_DUPFD_CLOEXEC), counted in {@link #references()}.
     * While it is open, RELEASE on either sends nothing; SHUTDOWN on either ends the connection for both.
     * The copy starts with this socket's default close mode.
     */
    public TcpSocket dup() throws TcpException {
        try (Descriptor.Use u = d.acquire("dup")) {
            int fd = u.fd();
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
        if (!shared.numberExposed) {
            shared.numberExposed = true;
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
        return onFd("isPeerClosed", Sockets::isPeerClosed);
    }

    /** A read-only query on the descriptor. */
    private interface FdQuery<T> {
        T apply(int fd) throws TcpException;
    }

    /** Runs {@code query} holding a use of the descriptor, so a concurrent close cannot release it meanwhile. */
    private <T> T onFd(String call, FdQuery<T> query) throws TcpException {
        try (Descriptor.Use u = d.acquire(call)) {
            return query.apply(u.fd());
        } finally {
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
     * Ends this handle the way {@code mode} says and reports what went on the wire. Waiting reads, writes and
     * connects on this handle are woken with {@link SocketClosedException}; their descriptor is closed once they
     * have left. Never throws for a kernel error: whatever fails, close(2) runs exactly once and the outcome says
     * what was done. Closing a closed handle does nothing and says so.
     *
     * <p>graceful and linger wait up to their timeout: a virtual thread parks (its carrier is free), a platform
     * thread waits in poll(2); close(2) itself never blocks. See {@link #closeAsync} to wait on no thread at all.
     */
    public CloseOutcome close(CloseMode mode) {
        Args.notNull("mode", mode);
        long start = System.nanoTime();
        if (!d.enterClose()) {
            return CloseOutcome.alreadyClosed(mode, shared.referencesBesides(d));
        }
        CloseOutcome o = Closer.close(d, shared, mode, start, remote);
        cleanable.clean(); // deregisters: the action sees the handle closed and does nothing
        return o;
    }

    /**
     * Closes this handle with {@code mode}'s system calls and nothing else, for callers who do not need the
     * {@link CloseOutcome}: RELEASE makes close(2); SHUTDOWN shutdown(SHUT_RDWR) then close(2) (FIN now, whoever else
     * holds the socket); ABORT setsockopt(SO_LINGER {1, 0}) then close(2) (RST, unsent data dropped). What it leaves
     * out, compared with {@link #close(CloseMode)}: the poll(2) (and, when it shows input or a hang-up, FIONREAD and
     * TCP_INFO) that reports unread input the close discards (the kernel still answers unread input with RST instead
     * of FIN; nobody is told) and a connection the kernel had already ended, the fcntl(F_GETFD) that notices
     * a descriptor someone stripped of close-on-exec (a child holding the socket then keeps it open, unreported),
     * and the JFR close event. Waiting calls are woken as by {@link #close(CloseMode)}; a failing system call is
     * not reported; close(2) runs exactly once. Allocates nothing. Closing a closed handle does nothing.
     *
     * @throws IllegalArgumentException for graceful and linger modes, which wait and report: use
     *     {@link #close(CloseMode)}
     */
    public void closeFast(CloseMode mode) {
        Args.notNull("mode", mode);
        CloseMode.Kind kind = mode.kind();
        if (kind == CloseMode.Kind.GRACEFUL || kind == CloseMode.Kind.LINGER) {
            throw new IllegalArgumentException("closeFast takes RELEASE, SHUTDOWN or ABORT, not " + mode
                    + ": graceful and linger wait and report, use close(mode)");
        }
        if (!d.enterClose()) {
            return;
        }
        Closer.closeFast(d, shared, kind);
        cleanable.clean(); // deregisters: the action sees the handle closed and does nothing
    }

    /**
     * Applies the default close mode ({@link CloseMode#RELEASE} unless changed). Idempotent.
     */
    @Override
    public void close() {
        close(defaultMode);
    }

    /**
     * Starts the close and returns at once: the handle is closed to new calls before this returns, and the
     * future completes with the outcome. No thread waits for a pending graceful or linger close: its steps run
     * when the poller reports input or a timer fires, on teardown's one {@code teardown-close} daemon thread.
     */
    public CompletableFuture<CloseOutcome> closeAsync(CloseMode mode) {
        return closeAsync(mode, AsyncClose.TIMER);
    }

    /** As {@link #closeAsync(CloseMode)}, running the close's steps on {@code executor}. */
    public CompletableFuture<CloseOutcome> closeAsync(CloseMode mode, Executor executor) {
        Args.notNull("mode", mode);
        Args.notNull("executor", executor);
        long start = System.nanoTime();
        if (!d.markClosing()) {
            return CompletableFuture.completedFuture(CloseOutcome.alreadyClosed(mode, shared.referencesBesides(d)));
        }
        CompletableFuture<CloseOutcome> f = new CompletableFuture<>();
        AsyncClose task = new AsyncClose(d, new Closer(d, shared, mode, start, remote), executor, f, cleanable::clean);
        try {
            executor.execute(task);
        } catch (RuntimeException rejected) {
            task.run(); // the executor refused: close here rather than leak the descriptor
        }
        // An executor that accepts the task and then drops it (shutdownNow, a discard policy) leaves the handle
        // closing but unclaimed: once the handle is unreachable, the safety net claims and closes it.
        return f;
    }

    @Override
    public String toString() {
        return "TcpSocket[" + (d.isOpen() ? "fd " + d.fd : "closed") + ", remote " + remote + "]";
    }
}
