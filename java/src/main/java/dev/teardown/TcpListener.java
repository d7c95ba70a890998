package dev.teardown;

import dev.teardown.internal.SocketSites;
import dev.teardown.posix.Errno;
import dev.teardown.posix.Libc;
import dev.teardown.posix.LinuxLibc;
import dev.teardown.posix.Os;
import dev.teardown.posix.Sockaddr;
import java.lang.ref.Reference;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A listening TCP socket. Binding sets SO_REUSEADDR (so a restarted server can bind while old
 * connections sit in TIME_WAIT), then bind(2) and listen(2). Accepted sockets are close-on-exec
 * ({@code accept4(SOCK_CLOEXEC)}), in blocking mode, and start with this listener's
 * {@linkplain Builder#acceptedCloseMode accepted close mode}.
 *
 * <p>The listening descriptor itself is non-blocking (O_NONBLOCK on its open file description: a child
 * that inherits the listener through {@code ChildProcess} sees a non-blocking socket, and its accept returns
 * EAGAIN when no connection is queued). {@link #accept()} parks a virtual thread on teardown's poller and
 * has a platform thread wait in poll(2); a {@link #close()} from another thread makes a waiting accept throw
 * {@link SocketClosedException} at once. Closing the listener sends RST to connections still waiting in its
 * backlog; connections already accepted are unaffected.
 *
 * <p><b>Out of descriptors.</b> When accept(2) fails with EMFILE, ENFILE, ENOBUFS or ENOMEM the connection stays
 * queued and an immediate retry fails again. So {@link #accept()} pauses before it throws the failure
 * ({@link OutOfDescriptorsException} for EMFILE and ENFILE): 5 ms after the first failure in a row, doubling up to
 * 1 s, back to 5 ms after a successful accept; the pause ends early when the listener is closed. A plain
 * catch-and-retry loop therefore makes at most a few hundred attempts a second (a handful once the pause has
 * grown) instead of spinning, and accepts again within a pause once descriptors are free. Each pause is counted
 * ({@link #acceptBackOffs()}, {@link #totalAcceptBackOffs()}) and recorded as the JFR event
 * {@code dev.teardown.AcceptBackOff}.
 *
 * <p>A listener, and a server's accept loop:
 * <!-- example: dev.teardown.snippets.ServerSnippets#bind, a copy JavadocExamplesTest keeps equal to that compiled, tested region -->
 * <pre>
 * TcpListener listener = TcpListener.builder()
 *         .backlog(1024)
 *         .option(TcpOption.TCP_NODELAY, true)                           // set on the listening socket before bind
 *         .acceptedCloseMode(CloseMode.graceful(Duration.ofSeconds(5))) // what close() does on each connection
 *         .bind(address);
 * </pre>
 * <!-- example: dev.teardown.snippets.ServerSnippets#accept-loop, a copy JavadocExamplesTest keeps equal to that compiled, tested region -->
 * <pre>
 * for (;;) {
 *     TcpSocket connection;
 *     try {
 *         connection = listener.accept();
 *     } catch (SocketClosedException e) {
 *         break;                                   // the listener was closed: the server stops
 *     } catch (OutOfDescriptorsException e) {
 *         System.err.println(e.getMessage());      // accept() has already paused: retrying does not spin
 *         continue;
 *     } catch (TcpException e) {
 *         System.err.println(e.getMessage());      // ENOBUFS, ENOMEM (paused too), or another errno
 *         continue;
 *     }
 *     workers.execute(() -&gt; {
 *         try (connection) {                       // close() with the listener's accepted close mode
 *             handle.accept(connection);
 *         }
 *     });
 * }
 * </pre>
 */
public final class TcpListener implements AutoCloseable {
    private final Descriptor d;
    private final CloseMode acceptedMode;
    private final InetSocketAddress local;
    private final java.lang.ref.Cleaner.Cleanable cleanable;
    private final AcceptBackOff backOff = new AcceptBackOff();

    private TcpListener(Descriptor d, CloseMode acceptedMode, InetSocketAddress local) {
        this.d = d;
        this.acceptedMode = acceptedMode;
        this.local = local;
        this.cleanable = SafetyNet.CLEANER.register(this, new SafetyNet.Action(d, null, "listener on " + local));
    }

    /** Binds {@code address} (port 0 picks a free port) with the default backlog of 128. */
    public static TcpListener bind(InetSocketAddress address) throws TcpException {
        return builder().bind(address);
    }

    /**
     * Binds {@code address} with a listen backlog (capped by net.core.somaxconn).
     *
     * @throws AddressInUseException if another socket holds the address
     * @throws IllegalArgumentException if the address is null or unresolved, or the backlog is not positive
     */
    public static TcpListener bind(InetSocketAddress address, int backlog) throws TcpException {
        return builder().backlog(backlog).bind(address);
    }

    /** Options for a listener: backlog, socket options set before bind, accepted sockets' close mode. */
    public static Builder builder() {
        return new Builder();
    }

    /** Collects a listener's settings; {@link #bind(InetSocketAddress)} creates it. */
    public static final class Builder {
        private int backlog = 128;
        private CloseMode acceptedMode = CloseMode.RELEASE;
        private final Map<TcpOption<?>, Object> options = new LinkedHashMap<>();

        private Builder() {
            options.put(TcpOption.SO_REUSEADDR, Boolean.TRUE);
        }

        /** The listen(2) backlog; must be positive. */
        public Builder backlog(int backlog) {
            if (backlog <= 0) {
                throw new IllegalArgumentException("backlog must be positive, got " + backlog);
            }
            this.backlog = backlog;
            return this;
        }

        /** An option set on the listening socket before bind(2) (SO_REUSEPORT, SO_RCVBUF, ...). */
        public <T> Builder option(TcpOption<T> option, T value) {
            Args.notNull("option", option);
            option.encode(value, new int[2]);
            options.put(option, value);
            return this;
        }

        /** The default close mode of accepted sockets (their {@link TcpSocket#close()}). */
        public Builder acceptedCloseMode(CloseMode mode) {
            this.acceptedMode = Args.notNull("mode", mode);
            return this;
        }

        /** Creates the socket, applies the options, binds and listens. */
        public TcpListener bind(InetSocketAddress address) throws TcpException {
            Args.resolved("address", address, true);
            Os.requireSupported();
            String call = "bind " + address;
            int fd = Sockets.open(Sockaddr.family(address.getAddress()), call);
            Descriptor d = new Descriptor(fd, "listener");
            boolean ok = false;
            try {
                for (Map.Entry<TcpOption<?>, Object> e : options.entrySet()) {
                    set(d, e.getKey(), e.getValue());
                }
                byte[] sa = new byte[Sockaddr.MAX_LEN];
                int len = Sockaddr.encode(address, sa);
                if (Libc.bind(fd, sa, len) < 0) {
                    throw TcpException.of(call, Libc.errno());
                }
                if (Libc.listen(fd, backlog) < 0) {
                    throw TcpException.of("listen " + address, Libc.errno());
                }
                int fl = Libc.fcntl(fd, Os.F_GETFL, 0);
                if (fl < 0 || Libc.fcntl(fd, Os.F_SETFL, fl | Os.O_NONBLOCK) < 0) {
                    throw TcpException.of("fcntl(O_NONBLOCK) on the listener " + address, Libc.errno());
                }
                TcpListener l = new TcpListener(d, acceptedMode, Sockets.name(d, true, "getsockname"));
                ok = true;
                return l;
            } finally {
                if (!ok && d.enterClose()) {
                    d.closeFd();
                }
            }
        }

        @SuppressWarnings("unchecked")
        private static <T> void set(Descriptor d, TcpOption<T> option, Object value) throws TcpException {
            Sockets.setOption(d, option, (T) value);
        }
    }

    /**
     * Waits for a connection and accepts it. A virtual thread parks while it waits (its carrier is free); a
     * platform thread waits in poll(2).
     *
     * @throws SocketClosedException if the listener is closed, before or during the wait
     * @throws OutOfDescriptorsException if no descriptor is left for the connection (EMFILE, ENFILE): it stays
     *     queued; thrown after this listener's back-off pause (see the class comment), so that retrying at once
     *     does not spin
     */
    public TcpSocket accept() throws TcpException {
        return acceptOrBackOff(-1);
    }

    /**
     * As {@link #accept()}, waiting at most {@code timeout}.
     *
     * @throws TimedOutException if no connection arrived in time (errno 0)
     */
    public TcpSocket accept(Duration timeout) throws TcpException {
        return acceptOrBackOff(Args.nonNegativeNanos("timeout", timeout));
    }

    /**
     * How many accepts on this listener failed for want of descriptors or kernel memory (EMFILE, ENFILE, ENOBUFS,
     * ENOMEM) and paused before throwing.
     *
     * @return the count since the listener was bound
     */
    public long acceptBackOffs() {
        return backOff.count();
    }

    /**
     * As {@link #acceptBackOffs()}, over every listener of this JVM (for metrics).
     *
     * @return the count since the JVM started
     */
    public static long totalAcceptBackOffs() {
        return AcceptBackOff.total();
    }

    private TcpSocket acceptOrBackOff(long timeoutNanos) throws TcpException {
        TcpSocket s;
        try {
            s = accept0(timeoutNanos);
        } catch (TcpException e) {
            if (AcceptBackOff.appliesTo(e.errno())) {
                backOff.pause(this, local, e, timeoutNanos < 0 ? Long.MAX_VALUE : timeoutNanos);
            }
            throw e;
        }
        backOff.succeeded();
        return s;
    }

    private TcpSocket accept0(long timeoutNanos) throws TcpException {
        try (Descriptor.Use u = d.acquire("accept")) {
            int fd = u.fd();
            Deadline deadline = null;
            byte[] sa = new byte[Sockaddr.MAX_LEN];
            int[] len = new int[1];
            for (;;) {
                len[0] = sa.length;
                int cfd = Os.LINUX ? LinuxLibc.accept4(fd, sa, len, Os.SOCK_CLOEXEC) : Libc.accept(fd, sa, len);
                if (cfd >= 0) {
                    return accepted(cfd, sa, len[0]);
                }
                int e = Libc.errno();
                if (e == Errno.EINTR || e == Errno.ECONNABORTED) {
                    continue;
                }
                if (e != Errno.EAGAIN) {
                    throw TcpException.of("accept on " + local, e);
                }
                if (deadline == null) {
                    deadline = Deadline.after(timeoutNanos);
                }
                if (!d.await("accept", Os.POLLIN, deadline)) {
                    throw new TimedOutException("accept on " + local, 0, "no connection within " + deadline.length());
                }
            }
        } finally {
            Reference.reachabilityFence(this); // the safety net must not close the handle mid-call
        }
    }

    private TcpSocket accepted(int cfd, byte[] sa, int len) throws TcpException {
        try {
            if (!Os.LINUX) {
                // BSD accept inherits the listener's O_NONBLOCK and has no SOCK_CLOEXEC.
                int fl = Libc.fcntl(cfd, Os.F_GETFL, 0);
                if (Libc.fcntl(cfd, Os.F_SETFD, Os.FD_CLOEXEC) < 0 || fl < 0
                        || Libc.fcntl(cfd, Os.F_SETFL, fl & ~Os.O_NONBLOCK) < 0
                        || (Os.SO_NOSIGPIPE >= 0 && Libc.setsockopt(cfd, Os.SOL_SOCKET, Os.SO_NOSIGPIPE, new int[] {1}, 4) < 0)) {
                    throw TcpException.of("accepted socket set-up on " + local, Libc.errno());
                }
            }
            SocketSites.record(cfd);
            return new TcpSocket(new Descriptor(cfd, "socket"), new SharedSocket(), Sockaddr.decode(sa, len), acceptedMode);
        } catch (TcpException | RuntimeException | Error e) {
            Sockets.closeRaw(cfd); // no handle was made: nobody else can close it
            throw e;
        }
    }

    /** The bound address, with the port the kernel chose if 0 was asked for. */
    public InetSocketAddress localAddress() {
        return local;
    }

    /** The listening descriptor's number (for diagnostics only: teardown owns it). */
    public int fd() throws SocketClosedException {
        if (!d.isOpen()) {
            throw SocketClosedException.closed("fd", "listener");
        }
        return d.fd;
    }

    /** True until closed. */
    public boolean isOpen() {
        return d.isOpen();
    }

    /** The default close mode given to accepted sockets. */
    public CloseMode acceptedCloseMode() {
        return acceptedMode;
    }

    /**
     * Stops listening: wakes blocked accepts with {@link SocketClosedException} and closes the
     * descriptor once they have left. Idempotent.
     */
    @Override
    public void close() {
        if (d.enterClose()) {
            d.closeFd();
            cleanable.clean();
        }
    }

    @Override
    public String toString() {
        return "TcpListener[" + (d.isOpen() ? "fd " + d.fd : "closed") + ", " + local + "]";
    }
}
