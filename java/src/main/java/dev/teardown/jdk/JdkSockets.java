package dev.teardown.jdk;

import dev.teardown.CloseMode;
import dev.teardown.CloseOutcome;
import dev.teardown.TcpException;
import dev.teardown.inspect.PeerCheck;
import dev.teardown.inspect.SocketOwners;
import dev.teardown.inspect.TcpEntry;
import dev.teardown.TcpInfo;
import dev.teardown.TcpState;
import dev.teardown.inspect.TcpTable;
import dev.teardown.posix.Errno;
import java.io.IOException;
import java.net.Socket;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Close modes and kernel views for the JDK's own TCP sockets: a {@link SocketChannel} (blocking or not) and a
 * {@link java.net.Socket}. Each mode puts on the wire what {@link dev.teardown.TcpSocket#close(CloseMode)} puts:
 * RELEASE a FIN (RST if input is unread), SHUTDOWN a FIN at once, ABORT only an RST, graceful a FIN and a drain to
 * the peer's FIN (RST at the deadline or drain limit), linger a FIN once everything is acknowledged (RST at the
 * deadline). When a close returns, the JDK object is closed.
 *
 * <p><b>The socket stays the JDK's.</b> teardown changes it only through the JDK's public API
 * ({@code shutdownOutput}, {@code shutdownInput}, {@code SO_LINGER}, {@code close}), so the JDK's own close runs
 * exactly once and the number is never released behind its back. The descriptor is used only to read: FIONREAD
 * (unread input an RST discards), SIOCOUTQ (our unacknowledged output an RST drops), TCP_INFO. It is found with
 * {@code --add-opens java.base/sun.nio.ch=ALL-UNNAMED} when the JVM has it, and otherwise from the socket's
 * addresses (sock_diag gives its inode, {@code /proc/self/fd} the number). Where it cannot be found, the
 * outcome's counts are -1 and its detail says why, instead of a guess.
 *
 * <p><b>Bad input.</b> null: {@link IllegalArgumentException}; an already closed channel or socket: the JDK's
 * {@link java.nio.channels.ClosedChannelException} or {@link java.net.SocketException} ("Socket is closed"),
 * nothing done; an unconnected one: {@link IllegalStateException}; a Unix-domain channel or an {@code SSLSocket}:
 * {@link IllegalArgumentException}; graceful or linger on a channel that a Selector still holds a valid key for:
 * {@link IllegalStateException} naming {@link #closeAsync(SelectionKey, CloseMode)}. A channel closed by its
 * owner while teardown drains it: the drain stops, the outcome's detail says so, and nothing is closed twice.
 *
 * <p>Closing a JDK channel with a mode (no JVM option needed):
 * <!-- example: dev.teardown.snippets.JdkSnippets#close-channel, a copy JavadocExamplesTest keeps equal to that compiled, tested region -->
 * <pre>
 * CloseOutcome outcome = JdkSockets.close(channel, CloseMode.SHUTDOWN);
 * // the channel is closed (channel.isOpen() is false); outcome.sent() says what went on the wire
 * </pre>
 */
public final class JdkSockets {
    private JdkSockets() {}

    /**
     * Ends the connection of {@code channel} with {@code mode} on the calling thread and closes the channel.
     * graceful and linger wait (a virtual thread parks, it is not pinned); a non-blocking channel is switched to
     * blocking mode for graceful, which needs it to hold no valid {@link SelectionKey}: use
     * {@link #closeAsync(SelectionKey, CloseMode)} for a channel served by a Selector. No other thread may read the
     * channel meanwhile: the drain's timed reads would queue behind it, and the deadline could not hold.
     *
     * @throws java.nio.channels.ClosedChannelException if the channel was already closed (nothing is done)
     * @throws IllegalStateException if it is not connected, or graceful/linger meets a valid SelectionKey
     * @throws IllegalArgumentException if an argument is null or the channel is not TCP (Unix-domain)
     * @throws IOException if the JDK's own calls fail
     */
    public static CloseOutcome close(SocketChannel channel, CloseMode mode) throws IOException {
        return close(Endpoint.of(channel), mode);
    }

    /**
     * As {@link #close(SocketChannel, CloseMode)} for a {@link Socket} (a {@code Socket} from
     * {@code SocketChannel.socket()} is closed through its channel). graceful drains through the socket's input
     * stream with a per-read timeout ({@code SO_TIMEOUT}).
     *
     * @throws java.net.SocketException "Socket is closed" if it was already closed (nothing is done)
     */
    public static CloseOutcome close(Socket socket, CloseMode mode) throws IOException {
        return close(Endpoint.of(socket), mode);
    }

    private static CloseOutcome close(Endpoint e, CloseMode mode) throws IOException {
        requireMode(mode);
        long start = System.nanoTime();
        CloseOutcome.Recorder r = CloseOutcome.record(mode, start).referencesLeft(0);
        switch (mode.kind()) {
            case GRACEFUL:
                return Closing.graceful(e, mode, r, start).done();
            case LINGER:
                return Closing.linger(e, mode, r, start).done();
            default:
                return Closing.immediate(e, mode, r).done();
        }
    }

    /**
     * Ends the connection of a non-blocking {@code channel} without blocking the calling thread, which may be the
     * thread of the Selector that serves it. graceful's drain and linger's waits run on teardown's own selector
     * thread. The future completes when the JDK has really closed the socket: for a channel that was registered
     * with a Selector, that is after every such Selector flushed its cancelled key.
     *
     * <p><b>What the caller's selector loop must do.</b> A channel with a valid key must be passed as its key
     * ({@link #closeAsync(SelectionKey, CloseMode)}), or the key cancelled first. From then on the loop must not
     * read, write or re-register the channel, and must keep calling {@code select} (any variant): the JDK closes
     * the descriptor of a registered channel only when the Selector flushes the cancelled key at its next select.
     * A blocking channel is closed with {@link #close(SocketChannel, CloseMode)} on a teardown thread.
     *
     * @throws IllegalStateException if a Selector still holds a valid key for the channel, or it is not connected
     * @throws IllegalArgumentException as {@link #close(SocketChannel, CloseMode)}
     */
    public static CompletableFuture<CloseOutcome> closeAsync(SocketChannel channel, CloseMode mode) throws IOException {
        requireMode(mode);
        Endpoint e = Endpoint.of(channel);
        if (channel.isBlocking()) {
            return CompletableFuture.supplyAsync(() -> {
                try {
                    return close(e, mode);
                } catch (IOException failure) {
                    throw new java.util.concurrent.CompletionException(failure);
                }
            }, BLOCKING_CLOSERS);
        }
        requireNoValidKey(channel);
        return AsyncClose.start(channel, e, mode, System.nanoTime());
    }

    /**
     * As {@link #closeAsync(SocketChannel, CloseMode)} for the channel of {@code key}: cancels the key and wakes
     * its Selector ({@link java.nio.channels.Selector#wakeup()}) so that its loop flushes the key at once.
     *
     * @throws IllegalArgumentException if the key's channel is not a {@link SocketChannel}
     */
    public static CompletableFuture<CloseOutcome> closeAsync(SelectionKey key, CloseMode mode) throws IOException {
        if (key == null) {
            throw new IllegalArgumentException("key must not be null");
        }
        if (!(key.channel() instanceof SocketChannel ch)) {
            throw new IllegalArgumentException("not a SocketChannel's key: " + key.channel());
        }
        requireMode(mode);
        Endpoint e = Endpoint.of(ch);
        key.cancel();
        key.selector().wakeup();
        return AsyncClose.start(ch, e, mode, System.nanoTime());
    }

    // ---- views ----

    /**
     * The kernel's TCP_INFO of the channel's socket.
     *
     * @throws TcpException with EBADF if the descriptor could not be found or the channel closed during the read
     */
    public static TcpInfo tcpInfo(SocketChannel channel) throws IOException {
        return tcpInfo(Endpoint.of(channel));
    }

    /** The kernel's TCP_INFO of the socket. */
    public static TcpInfo tcpInfo(Socket socket) throws IOException {
        return tcpInfo(Endpoint.of(socket));
    }

    private static TcpInfo tcpInfo(Endpoint e) throws IOException {
        TcpInfo[] info = {null};
        TcpException[] failed = {null};
        int ok = e.read(fd -> {
            try {
                info[0] = TcpInfo.of(fd);
                return 0;
            } catch (TcpException t) {
                failed[0] = t;
                return -1;
            }
        });
        if (failed[0] != null) {
            throw failed[0];
        }
        if (ok < 0) {
            throw TcpException.of("getsockopt(TCP_INFO) of " + e + ": " + e.unknownWhy(), Errno.EBADF);
        }
        return info[0];
    }

    /** The connection's TCP state: from TCP_INFO, or from the kernel's table when the descriptor is not found. */
    public static TcpState state(SocketChannel channel) throws IOException {
        return state(Endpoint.of(channel));
    }

    /** The connection's TCP state, as {@link #state(SocketChannel)}. */
    public static TcpState state(Socket socket) throws IOException {
        return state(Endpoint.of(socket));
    }

    private static TcpState state(Endpoint e) throws IOException {
        if (e.fd() >= 0) {
            return tcpInfo(e).state();
        }
        Optional<TcpEntry> row = TcpTable.lookup(e.local, e.remote);
        if (row.isEmpty()) {
            throw TcpException.of("state of " + e + ": the kernel's table has no " + e.local + " -> " + e.remote
                    + " in this thread's network namespace, and " + e.unknownWhy(), Errno.ENOENT);
        }
        return row.get().state();
    }

    /**
     * True if the peer has sent FIN (or reset the connection): {@code poll(POLLRDHUP)} on the descriptor, which
     * reads nothing. A channel that stays open after this is true is a CLOSE_WAIT in the making.
     */
    public static boolean isPeerClosed(SocketChannel channel) throws IOException {
        return isPeerClosed(Endpoint.of(channel));
    }

    /** As {@link #isPeerClosed(SocketChannel)}. */
    public static boolean isPeerClosed(Socket socket) throws IOException {
        return isPeerClosed(Endpoint.of(socket));
    }

    private static boolean isPeerClosed(Endpoint e) throws IOException {
        TcpException[] failed = {null};
        int r = e.read(fd -> {
            try {
                return PeerCheck.isPeerClosed(fd) ? 1 : 0;
            } catch (TcpException t) {
                failed[0] = t;
                return -1;
            }
        });
        if (failed[0] != null) {
            throw failed[0];
        }
        if (r < 0) {
            throw TcpException.of("poll(POLLRDHUP) of " + e + ": " + e.unknownWhy(), Errno.EBADF);
        }
        return r == 1;
    }

    /** Every process and descriptor that holds the channel's socket (as {@code ss -p} shows). */
    public static SocketOwners owners(SocketChannel channel) throws IOException {
        return owners(Endpoint.of(channel));
    }

    /** Every process and descriptor that holds the socket. */
    public static SocketOwners owners(Socket socket) throws IOException {
        return owners(Endpoint.of(socket));
    }

    private static SocketOwners owners(Endpoint e) throws IOException {
        long inode = e.inode();
        if (inode <= 0) {
            inode = TcpTable.lookup(e.local, e.remote).map(TcpEntry::inode).orElse(0L);
        }
        if (inode <= 0) {
            throw TcpException.of("owners of " + e + ": " + e.unknownWhy(), Errno.ENOENT);
        }
        return SocketOwners.of(inode);
    }

    // ---- checks ----

    private static void requireMode(CloseMode mode) {
        if (mode == null) {
            throw new IllegalArgumentException("mode must not be null");
        }
    }

    /** The JDK allows blocking mode only without valid keys: a precise public test, undone at once. */
    private static void requireNoValidKey(SocketChannel ch) throws IOException {
        synchronized (ch.blockingLock()) {
            try {
                ch.configureBlocking(true);
            } catch (java.nio.channels.IllegalBlockingModeException e) {
                throw new IllegalStateException("a Selector still holds a valid key for " + ch + ": pass the key"
                        + " (JdkSockets.closeAsync(key, mode)), which cancels it and wakes its Selector, or cancel it first", e);
            }
            ch.configureBlocking(false);
        }
    }

    private static final AtomicInteger THREADS = new AtomicInteger();
    private static final Executor BLOCKING_CLOSERS = java.util.concurrent.Executors.newCachedThreadPool(task -> {
        Thread t = new Thread(task, "teardown-jdk-blocking-close-" + THREADS.incrementAndGet());
        t.setDaemon(true);
        return t;
    });
}
