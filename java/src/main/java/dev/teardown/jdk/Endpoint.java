package dev.teardown.jdk;

import dev.teardown.posix.JdkChannels;
import dev.teardown.posix.SocketLookup;
import dev.teardown.posix.SocketQueues;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.function.IntUnaryOperator;

/**
 * One JDK socket ({@link SocketChannel} or {@link Socket}) as teardown acts on it: everything that changes the
 * socket goes through the JDK's public API, and the descriptor number is used only to read.
 *
 * <p><b>Why a read on the number is safe.</b> The JDK marks the object closed before it releases the number:
 * {@code AbstractInterruptibleChannel.close} sets its volatile {@code closed} flag before
 * {@code implCloseChannel}; {@code Socket.close} sets its closed bit first on JDK 21+, and on JDK 17 holds the
 * lock that {@code isClosed()} takes for the whole close. So {@link #read} checks that the object is open, makes
 * its one system call, and checks again: if it is still open after the call, the number named this socket for
 * the whole call (it cannot have been released and reused by another open in between). A result obtained
 * across a concurrent close is thrown away and reported as unknown ({@code -1}). When the number was found by
 * address and a dup of the socket exists in this process, the number may be the dup's, which its holder can
 * close at any time: then each read is also confirmed by reading the number's link again.
 */
abstract class Endpoint {
    /** Descriptor found by address per JDK object; the number of an open object never changes. */
    private static final Map<Object, SocketLookup.Found> FOUND = Collections.synchronizedMap(new WeakHashMap<>());

    final InetSocketAddress local;
    final InetSocketAddress remote;
    private SocketLookup.Found found;
    private String unknownWhy;
    private boolean looked;

    Endpoint(InetSocketAddress local, InetSocketAddress remote) {
        this.local = local;
        this.remote = remote;
    }

    static Endpoint of(SocketChannel channel) throws IOException {
        if (channel == null) {
            throw new IllegalArgumentException("channel must not be null");
        }
        if (!channel.isOpen()) {
            throw new ClosedChannelException();
        }
        SocketAddress remote = channel.getRemoteAddress();
        SocketAddress local = channel.getLocalAddress();
        if (remote == null && local != null && !(local instanceof InetSocketAddress)
                || remote != null && !(remote instanceof InetSocketAddress)) {
            throw new IllegalArgumentException("not a TCP channel: " + channel + " is a " + kind(local, remote)
                    + " socket; teardown's close modes and views are for TCP");
        }
        if (remote == null) {
            throw new IllegalStateException("the channel is not connected (" + channel + "): there is no connection"
                    + " to end or inspect; close an unconnected channel with channel.close()");
        }
        return new ChannelEndpoint(channel, (InetSocketAddress) local, (InetSocketAddress) remote);
    }

    static Endpoint of(Socket socket) throws IOException {
        if (socket == null) {
            throw new IllegalArgumentException("socket must not be null");
        }
        if (socket.getChannel() != null) {
            return of(socket.getChannel());
        }
        if (socket instanceof javax.net.ssl.SSLSocket) {
            throw new IllegalArgumentException("an SSLSocket (" + socket + "): its shutdownOutput and raw reads are"
                    + " not available, and a FIN or RST beneath TLS skips close_notify; close it with socket.close()");
        }
        if (socket.isClosed()) {
            throw new SocketException("Socket is closed");
        }
        SocketAddress remote = socket.getRemoteSocketAddress();
        if (!socket.isConnected() || !(remote instanceof InetSocketAddress)) {
            throw new IllegalStateException("the socket is not connected (" + socket + "): there is no connection"
                    + " to end or inspect; close an unconnected socket with socket.close()");
        }
        return new SocketEndpoint(socket, (InetSocketAddress) socket.getLocalSocketAddress(), (InetSocketAddress) remote);
    }

    private static String kind(SocketAddress local, SocketAddress remote) {
        SocketAddress a = remote != null ? remote : local;
        return a.getClass().getSimpleName().startsWith("UnixDomain") ? "Unix-domain" : a.getClass().getName();
    }

    /** The JDK object, for messages and the descriptor cache. */
    abstract Object owner();

    abstract boolean isOpen();

    abstract boolean isOutputShutdown();

    /** shutdownInput was called: the JDK reads nothing more, though the kernel still queues what arrives. */
    abstract boolean isInputShutdown();

    abstract void shutdownOutput() throws IOException;

    abstract void shutdownInput() throws IOException;

    /** SO_LINGER through the JDK: {@code seconds} &lt; 0 turns it off, 0 makes the close send RST. */
    abstract void setLinger(int seconds) throws IOException;

    /** SO_LINGER as the JDK reports it (-1: off). */
    abstract int linger() throws IOException;

    /** The JDK's own close; idempotent, it never closes the number twice. */
    abstract void close() throws IOException;

    /** The JDK's stream over the socket, for a drain with a per-read timeout ({@link #setReadTimeout}). */
    abstract InputStream input() throws IOException;

    abstract void setReadTimeout(int millis) throws IOException;

    /** The JDK's fast path, or null (no {@code --add-opens}, or not a channel). */
    abstract Integer fastFd();

    /**
     * Makes {@link #input()} usable: a non-blocking channel is switched to blocking mode, which the JDK allows
     * only when no Selector holds a valid key for it.
     *
     * @throws IllegalStateException if a Selector still holds a valid key for the channel
     */
    void prepareBlockingReads() throws IOException {}

    /**
     * The descriptor number, or -1 with {@link #unknownWhy()} saying why it could not be found. Found once:
     * {@code --add-opens} when present, else sock_diag by the socket's addresses and {@code /proc/self/fd}.
     */
    final int fd() {
        if (!looked) {
            looked = true;
            Integer fast = fastFd();
            if (fast != null) {
                found = new SocketLookup.Found(fast, -1, false);
            } else {
                Object key = owner();
                found = FOUND.get(key);
                if (found == null) {
                    found = SocketLookup.find(local, remote);
                    if (found != null && isOpen()) {
                        FOUND.put(key, found); // a lookup by address costs a sock_diag request and a /proc/self/fd scan
                    }
                }
            }
            if (found == null) {
                unknownWhy = "the socket's descriptor was not found (sock_diag and /proc/self/fd did not show "
                        + local + " -> " + remote + (JdkChannels.available() ? "" : "; " + JdkChannels.FLAG
                        + " would let teardown read it from the channel") + ")";
            }
        }
        return found == null ? -1 : found.fd();
    }

    /** Why {@link #fd()} is -1. */
    final String unknownWhy() {
        fd();
        return unknownWhy == null ? "the socket was closed during the read" : unknownWhy;
    }

    /** The socket's inode, or 0 if not known. */
    final long inode() {
        if (fd() < 0) {
            return 0;
        }
        if (found.inode() > 0) {
            return found.inode();
        }
        long[] ino = {0};
        read(fd -> {
            ino[0] = SocketLookup.inodeOf(fd);
            return 0;
        });
        return ino[0];
    }

    /**
     * Runs one read-only call on the descriptor while the JDK object is open (see the class comment); -1 if
     * the number is unknown, the call failed, or the object was closed around the call.
     */
    final int read(IntUnaryOperator call) {
        int fd = fd();
        if (fd < 0 || !isOpen()) {
            return -1;
        }
        int v = call.applyAsInt(fd);
        if (found.shared() && SocketLookup.inodeOf(fd) != found.inode()) {
            return -1; // a dup's number, closed by its holder meanwhile: the value may be another file's
        }
        return isOpen() ? v : -1;
    }

    final int unread() {
        return read(SocketQueues::unread);
    }

    final int unacknowledged() {
        return read(SocketQueues::unacknowledged);
    }

    final boolean endedByKernel() {
        return read(SocketQueues::tcpState) == SocketQueues.TCP_CLOSE;
    }

    @Override
    public String toString() {
        return owner().toString();
    }

    private static final class ChannelEndpoint extends Endpoint {
        private final SocketChannel ch;
        private InputStream in;

        ChannelEndpoint(SocketChannel ch, InetSocketAddress local, InetSocketAddress remote) {
            super(local, remote);
            this.ch = ch;
        }

        @Override
        Object owner() {
            return ch;
        }

        @Override
        boolean isOpen() {
            return ch.isOpen();
        }

        @Override
        boolean isOutputShutdown() {
            return ch.socket().isOutputShutdown();
        }

        @Override
        boolean isInputShutdown() {
            return ch.socket().isInputShutdown();
        }

        @Override
        void shutdownOutput() throws IOException {
            ch.shutdownOutput();
        }

        @Override
        void shutdownInput() throws IOException {
            ch.shutdownInput();
        }

        @Override
        void setLinger(int seconds) throws IOException {
            ch.setOption(StandardSocketOptions.SO_LINGER, seconds);
        }

        @Override
        int linger() throws IOException {
            return ch.getOption(StandardSocketOptions.SO_LINGER);
        }

        @Override
        void close() throws IOException {
            ch.close();
        }

        @Override
        void prepareBlockingReads() throws IOException {
            synchronized (ch.blockingLock()) {
                if (!ch.isBlocking()) {
                    try {
                        ch.configureBlocking(true);
                    } catch (java.nio.channels.IllegalBlockingModeException e) {
                        throw new IllegalStateException("the channel is registered with a Selector (a valid SelectionKey):"
                                + " close it with JdkSockets.closeAsync(key, mode), which cancels the key and drains"
                                + " without blocking, or cancel the key first", e);
                    }
                }
            }
        }

        @Override
        InputStream input() throws IOException {
            if (in == null) {
                in = ch.socket().getInputStream(); // reads through the channel, timed by the adaptor's SO_TIMEOUT
            }
            return in;
        }

        @Override
        void setReadTimeout(int millis) throws IOException {
            ch.socket().setSoTimeout(millis);
        }

        @Override
        Integer fastFd() {
            if (!JdkChannels.available()) {
                return null;
            }
            try {
                return JdkChannels.fd(ch);
            } catch (RuntimeException e) {
                return null; // a channel of another SelectorProvider: look it up by its addresses
            }
        }
    }

    private static final class SocketEndpoint extends Endpoint {
        private final Socket s;
        private InputStream in;

        SocketEndpoint(Socket s, InetSocketAddress local, InetSocketAddress remote) {
            super(local, remote);
            this.s = s;
        }

        @Override
        Object owner() {
            return s;
        }

        @Override
        boolean isOpen() {
            return !s.isClosed();
        }

        @Override
        boolean isOutputShutdown() {
            return s.isOutputShutdown();
        }

        @Override
        boolean isInputShutdown() {
            return s.isInputShutdown();
        }

        @Override
        void shutdownOutput() throws IOException {
            s.shutdownOutput();
        }

        @Override
        void shutdownInput() throws IOException {
            s.shutdownInput();
        }

        @Override
        void setLinger(int seconds) throws IOException {
            s.setSoLinger(seconds >= 0, Math.max(seconds, 0));
        }

        @Override
        int linger() throws IOException {
            return s.getSoLinger();
        }

        @Override
        void close() throws IOException {
            s.close();
        }

        @Override
        InputStream input() throws IOException {
            if (in == null) {
                in = s.getInputStream();
            }
            return in;
        }

        @Override
        void setReadTimeout(int millis) throws IOException {
            s.setSoTimeout(millis);
        }

        @Override
        Integer fastFd() {
            return null; // the number of a plain Socket sits behind java.net and java.io internals
        }
    }
}
