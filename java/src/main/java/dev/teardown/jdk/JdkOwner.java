package dev.teardown.jdk;

import dev.teardown.SocketOwner;
import dev.teardown.posix.JdkChannels;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;

/**
 * One JDK socket ({@link SocketChannel} or {@link Socket}) as the owner teardown's close engine acts through
 * ({@link SocketOwner}): shutdown, SO_LINGER and the close go through the JDK's public API, so the JDK's own close
 * runs exactly once and the number is never released behind its back. teardown reads, drains, waits and resets
 * through a reference of its own ({@link dev.teardown.BorrowedSocket}), found from the socket's addresses or, with
 * {@code --add-opens java.base/sun.nio.ch=ALL-UNNAMED}, from the channel's number.
 */
abstract class JdkOwner implements SocketOwner {
    final InetSocketAddress local;
    final InetSocketAddress remote;

    JdkOwner(InetSocketAddress local, InetSocketAddress remote) {
        this.local = local;
        this.remote = remote;
    }

    static JdkOwner of(SocketChannel channel) throws IOException {
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
        return new ChannelOwner(channel, (InetSocketAddress) local, (InetSocketAddress) remote);
    }

    static JdkOwner of(Socket socket) throws IOException {
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
        return new StreamOwner(socket, (InetSocketAddress) socket.getLocalSocketAddress(), (InetSocketAddress) remote);
    }

    private static String kind(SocketAddress local, SocketAddress remote) {
        SocketAddress a = remote != null ? remote : local;
        return a.getClass().getSimpleName().startsWith("UnixDomain") ? "Unix-domain" : a.getClass().getName();
    }

    /** The JDK object, for messages. */
    abstract Object jdkObject();

    @Override
    public InetSocketAddress localAddress() {
        return local;
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return remote;
    }

    @Override
    public String toString() {
        return jdkObject().toString();
    }

    private static final class ChannelOwner extends JdkOwner {
        private final SocketChannel ch;

        ChannelOwner(SocketChannel ch, InetSocketAddress local, InetSocketAddress remote) {
            super(local, remote);
            this.ch = ch;
        }

        @Override
        Object jdkObject() {
            return ch;
        }

        @Override
        public String kind() {
            return "jdk-channel";
        }

        @Override
        public int descriptorHint() {
            if (!JdkChannels.available()) {
                return -1;
            }
            try {
                return JdkChannels.fd(ch);
            } catch (RuntimeException e) {
                return -1; // a channel of another SelectorProvider: found by its addresses
            }
        }

        @Override
        public boolean isOpen() {
            return ch.isOpen();
        }

        @Override
        public boolean isOutputShutdown() {
            return ch.socket().isOutputShutdown();
        }

        @Override
        public void shutdownOutput() throws IOException {
            ch.shutdownOutput();
        }

        @Override
        public void shutdownInput() throws IOException {
            ch.shutdownInput();
        }

        @Override
        public void setLingerZero() throws IOException {
            ch.setOption(StandardSocketOptions.SO_LINGER, 0);
        }

        @Override
        public boolean release() throws IOException {
            ch.close();
            return !ch.isRegistered(); // registered: the JDK closes the number at the Selector's next select
        }

        @Override
        public boolean released() {
            return !ch.isRegistered();
        }
    }

    private static final class StreamOwner extends JdkOwner {
        private final Socket s;

        StreamOwner(Socket s, InetSocketAddress local, InetSocketAddress remote) {
            super(local, remote);
            this.s = s;
        }

        @Override
        Object jdkObject() {
            return s;
        }

        @Override
        public String kind() {
            return "jdk-socket";
        }

        @Override
        public int descriptorHint() {
            return -1; // the number of a plain Socket sits behind java.net and java.io internals
        }

        @Override
        public boolean isOpen() {
            return !s.isClosed();
        }

        @Override
        public boolean isOutputShutdown() {
            return s.isOutputShutdown();
        }

        @Override
        public void shutdownOutput() throws IOException {
            s.shutdownOutput();
        }

        @Override
        public void shutdownInput() throws IOException {
            s.shutdownInput();
        }

        @Override
        public void setLingerZero() throws IOException {
            s.setSoLinger(true, 0);
        }

        @Override
        public boolean release() throws IOException {
            s.close();
            return true;
        }
    }
}
