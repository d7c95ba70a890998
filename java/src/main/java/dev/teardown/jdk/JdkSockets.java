package dev.teardown.jdk;

import dev.teardown.BorrowedSocket;
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
import dev.teardown.posix.SocketLookup;
import java.io.IOException;
import java.net.Socket;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Close modes and kernel views for the JDK's own TCP sockets: a {@link SocketChannel} (blocking or not, registered
 * with a Selector or not) and a {@link java.net.Socket}. Each mode runs the very steps of
 * {@link dev.teardown.TcpSocket#close(CloseMode)} (teardown's one close engine, through {@link BorrowedSocket}) and
 * puts on the wire what they put: RELEASE a FIN (RST if input is unread), SHUTDOWN a FIN at once, ABORT only an RST,
 * sent at once even for a channel a Selector still holds, graceful a FIN and a drain to the peer's FIN (RST at the
 * deadline or drain limit), linger a FIN once everything is acknowledged (RST at the deadline). Every close reaches
 * JFR's {@code dev.teardown.Close} event, {@link dev.teardown.inspect.CloseListeners} and the metrics, with
 * {@link CloseOutcome#socketKind()} "jdk-channel" or "jdk-socket".
 *
 * <p><b>The socket stays the JDK's.</b> teardown changes it only through the JDK's public API
 * ({@code shutdownOutput}, {@code shutdownInput}, {@code SO_LINGER}, {@code close}), so the JDK's own close runs
 * exactly once and the number is never released behind its back. Reads (FIONREAD, SIOCOUTQ, TCP_INFO), the drain,
 * the waits and an immediate reset ({@code connect(AF_UNSPEC)}) use a reference of teardown's own, a checked dup
 * of the JDK's number, closed after the JDK's close. The number is found without reflection (a few system calls:
 * recently found numbers, then one getpeername per descriptor of the process), or read from the channel when the
 * JVM has {@code --add-opens java.base/sun.nio.ch=ALL-UNNAMED}.
 *
 * <p><b>A channel registered with a Selector.</b> The JDK closes its number only at that Selector's next
 * {@code select}: an RST (ABORT, a deadline) goes out at once anyway; a FIN the JDK's close sends at once (it shuts
 * output for a registered channel); what its deferred close(2) still does (an RST for unread input) the outcome
 * names. {@link #closeAsync(SelectionKey, CloseMode)} cancels the key and wakes the Selector so that nothing waits.
 *
 * <p><b>Bad input.</b> null: {@link IllegalArgumentException}; an already closed channel or socket: the JDK's
 * {@link java.nio.channels.ClosedChannelException} or {@link java.net.SocketException} ("Socket is closed"),
 * nothing done; an unconnected one: {@link IllegalStateException}; a Unix-domain channel or an {@code SSLSocket}:
 * {@link IllegalArgumentException}. A channel closed by its owner while teardown drains it: teardown's reference
 * keeps the connection until the drain ends, the outcome says what that close did, and nothing is closed twice.
 * No other thread may read the channel during a close: it would take the bytes the drain counts.
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
     * graceful and linger wait (a virtual thread parks, it is not pinned; a platform thread waits in poll(2)).
     *
     * @throws java.nio.channels.ClosedChannelException if the channel was already closed (nothing is done)
     * @throws IllegalStateException if it is not connected
     * @throws IllegalArgumentException if an argument is null or the channel is not TCP (Unix-domain)
     * @throws IOException if the JDK's own calls fail, or the descriptor cannot be found ({@link TcpException})
     */
    public static CloseOutcome close(SocketChannel channel, CloseMode mode) throws IOException {
        requireMode(mode);
        return BorrowedSocket.close(JdkOwner.of(channel), mode);
    }

    /**
     * As {@link #close(SocketChannel, CloseMode)} for a {@link Socket} (a {@code Socket} from
     * {@code SocketChannel.socket()} is closed through its channel).
     *
     * @throws java.net.SocketException "Socket is closed" if it was already closed (nothing is done)
     */
    public static CloseOutcome close(Socket socket, CloseMode mode) throws IOException {
        requireMode(mode);
        return BorrowedSocket.close(JdkOwner.of(socket), mode);
    }

    /**
     * Ends the connection of {@code channel} without blocking the calling thread, which may be the thread of the
     * Selector that serves it: the steps run on teardown's close thread, graceful's and linger's waits are poller
     * callbacks and timers. The future completes when the JDK has really closed the socket: for a channel that was
     * registered with a Selector, after that Selector flushed the cancelled key (at most 10 s plus the mode's
     * timeout later; then the outcome says the close(2) is still pending).
     *
     * <p><b>What the caller's selector loop must do.</b> A channel with a valid key must be passed as its key
     * ({@link #closeAsync(SelectionKey, CloseMode)}), or the key cancelled first. From then on the loop must not
     * read, write or re-register the channel, and must keep calling {@code select} (any variant).
     *
     * @throws IllegalStateException if a Selector still holds a valid key for the channel, or it is not connected
     * @throws IllegalArgumentException as {@link #close(SocketChannel, CloseMode)}
     */
    public static CompletableFuture<CloseOutcome> closeAsync(SocketChannel channel, CloseMode mode) throws IOException {
        requireMode(mode);
        JdkOwner owner = JdkOwner.of(channel);
        if (!channel.isBlocking()) {
            requireNoValidKey(channel);
        }
        return BorrowedSocket.closeAsync(owner, mode, null);
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
        JdkOwner owner = JdkOwner.of(ch);
        key.cancel();
        key.selector().wakeup();
        return BorrowedSocket.closeAsync(owner, mode, null);
    }

    // ---- views ----

    /**
     * The kernel's TCP_INFO of the channel's socket.
     *
     * @throws TcpException with EBADF if the descriptor could not be found or the channel closed during the read
     */
    public static TcpInfo tcpInfo(SocketChannel channel) throws IOException {
        return tcpInfo(JdkOwner.of(channel));
    }

    /** The kernel's TCP_INFO of the socket. */
    public static TcpInfo tcpInfo(Socket socket) throws IOException {
        return tcpInfo(JdkOwner.of(socket));
    }

    private static TcpInfo tcpInfo(JdkOwner e) throws IOException {
        return BorrowedSocket.query(e, TcpInfo::of);
    }

    /** The connection's TCP state: from TCP_INFO, or from the kernel's table when the descriptor is not found. */
    public static TcpState state(SocketChannel channel) throws IOException {
        return state(JdkOwner.of(channel));
    }

    /** The connection's TCP state, as {@link #state(SocketChannel)}. */
    public static TcpState state(Socket socket) throws IOException {
        return state(JdkOwner.of(socket));
    }

    private static TcpState state(JdkOwner e) throws IOException {
        try {
            return tcpInfo(e).state();
        } catch (TcpException notFound) {
            if (notFound.errno() != Errno.ENOENT) {
                throw notFound;
            }
            Optional<TcpEntry> row = TcpTable.lookup(e.local, e.remote);
            if (row.isEmpty()) {
                throw TcpException.of("state of " + e + ": the kernel's table has no " + e.local + " -> " + e.remote
                        + " in this thread's network namespace, and no descriptor of this process names it", Errno.ENOENT);
            }
            return row.get().state();
        }
    }

    /**
     * True if the peer has sent FIN (or reset the connection): {@code poll(POLLRDHUP)} on the descriptor, which
     * reads nothing. A channel that stays open after this is true is a CLOSE_WAIT in the making.
     */
    public static boolean isPeerClosed(SocketChannel channel) throws IOException {
        return isPeerClosed(JdkOwner.of(channel));
    }

    /** As {@link #isPeerClosed(SocketChannel)}. */
    public static boolean isPeerClosed(Socket socket) throws IOException {
        return isPeerClosed(JdkOwner.of(socket));
    }

    private static boolean isPeerClosed(JdkOwner e) throws IOException {
        return BorrowedSocket.query(e, PeerCheck::isPeerClosed);
    }

    /** Every process and descriptor that holds the channel's socket (as {@code ss -p} shows). */
    public static SocketOwners owners(SocketChannel channel) throws IOException {
        return owners(JdkOwner.of(channel));
    }

    /** Every process and descriptor that holds the socket. */
    public static SocketOwners owners(Socket socket) throws IOException {
        return owners(JdkOwner.of(socket));
    }

    private static SocketOwners owners(JdkOwner e) throws IOException {
        long inode;
        try {
            inode = BorrowedSocket.query(e, SocketLookup::inodeOf);
        } catch (TcpException notFound) {
            inode = TcpTable.lookup(e.local, e.remote).map(TcpEntry::inode).orElse(0L);
        }
        if (inode <= 0) {
            throw TcpException.of("owners of " + e + ": no descriptor of this process and no row of the kernel's table"
                    + " names " + e.local + " -> " + e.remote, Errno.ENOENT);
        }
        // teardown's own reference was closed after the query: the owners are the JDK's holders
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
}
