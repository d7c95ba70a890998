package dev.teardown.jdk;

import dev.teardown.CloseMode;
import dev.teardown.CloseOutcome;
import dev.teardown.testing.NetLab;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * One TCP connection across a {@link NetLab}: the JDK socket under test in namespace A (10.231.0.1), a plain
 * blocking {@link SocketChannel} as the peer in namespace B. The closer is one of three kinds; a SELECTOR closer is
 * a non-blocking channel registered with a Selector whose loop runs on its own thread, and is closed from that
 * thread through {@link JdkSockets#closeAsync(SelectionKey, CloseMode)}.
 */
final class JdkConn implements AutoCloseable {
    enum Kind { BLOCKING_CHANNEL, SELECTOR_CHANNEL, SOCKET }

    final Kind kind;
    final NetLab lab;
    final SocketChannel peer;
    final SocketChannel channel; // BLOCKING_CHANNEL, SELECTOR_CHANNEL
    final Socket socket; // SOCKET
    final int serverPort;
    final int peerPort;
    private final AutoCloseable listener;
    private SelectorLoop loop;
    private SelectionKey key;
    /** How long closeAsync took to return on the selector's thread, in ms (SELECTOR_CHANNEL). */
    volatile long returnedMillis = -1;

    JdkConn(NetLab lab, Kind kind, int peerRcvBuf, int peerSndBuf) throws Exception {
        this.kind = kind;
        this.lab = lab;
        if (kind == Kind.SOCKET) {
            ServerSocket ss = lab.a().call(() -> new ServerSocket(0, 50, NetLab.A));
            listener = ss;
            serverPort = ss.getLocalPort();
            peer = connectPeer(peerRcvBuf, peerSndBuf);
            socket = lab.a().call(ss::accept);
            channel = null;
        } else {
            ServerSocketChannel ss = lab.a().call(() -> ServerSocketChannel.open().bind(new InetSocketAddress(NetLab.A, 0)));
            listener = ss;
            serverPort = ((InetSocketAddress) ss.getLocalAddress()).getPort();
            peer = connectPeer(peerRcvBuf, peerSndBuf);
            channel = ss.accept();
            socket = null;
        }
        peerPort = ((InetSocketAddress) peer.getLocalAddress()).getPort();
    }

    private SocketChannel connectPeer(int rcvBuf, int sndBuf) throws Exception {
        return lab.b().call(() -> {
            SocketChannel c = SocketChannel.open();
            if (rcvBuf > 0) {
                c.setOption(StandardSocketOptions.SO_RCVBUF, rcvBuf);
            }
            if (sndBuf > 0) {
                c.setOption(StandardSocketOptions.SO_SNDBUF, sndBuf);
            }
            c.connect(new InetSocketAddress(NetLab.A, serverPort));
            return c;
        });
    }

    /** Writes all of {@code data} from the closer (blocking, before any switch to non-blocking mode). */
    void write(ByteBuffer data) throws IOException {
        if (socket != null) {
            byte[] b = new byte[data.remaining()];
            data.get(b);
            socket.getOutputStream().write(b);
        } else {
            while (data.hasRemaining()) {
                channel.write(data);
            }
        }
    }

    /** For SELECTOR_CHANNEL: makes the channel non-blocking and registers it with a running selector loop. */
    void register() throws Exception {
        if (kind != Kind.SELECTOR_CHANNEL) {
            return;
        }
        loop = new SelectorLoop();
        channel.configureBlocking(false);
        key = loop.call(() -> channel.register(loop.selector, 0));
    }

    /** Ends the connection with {@code mode} the way this kind is meant to be closed, and waits for the outcome. */
    CloseOutcome close(CloseMode mode) throws Exception {
        switch (kind) {
            case SOCKET:
                return lab.a().call(() -> JdkSockets.close(socket, mode)); // found through sock_diag in A
            case BLOCKING_CHANNEL:
                return JdkSockets.close(channel, mode); // from outside A: found by address in /proc/self/fd
            default:
                CompletableFuture<CloseOutcome> f = loop.call(() -> {
                    long t0 = System.nanoTime();
                    CompletableFuture<CloseOutcome> r = JdkSockets.closeAsync(key, mode);
                    returnedMillis = (System.nanoTime() - t0) / 1_000_000;
                    return r;
                });
                return f.get(30, TimeUnit.SECONDS);
        }
    }

    boolean closerIsOpen() {
        return socket != null ? !socket.isClosed() : channel.isOpen();
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {peer, channel, socket, listener}) {
            if (c != null) {
                try {
                    if (c instanceof SocketChannel s && s.isOpen()) {
                        s.setOption(StandardSocketOptions.SO_LINGER, 0);
                    }
                    c.close();
                } catch (Exception ignored) {
                    // best effort
                }
            }
        }
        if (loop != null) {
            loop.close();
        }
    }

    /** A user's selector loop: select with a timeout, run submitted tasks; keys with interest 0 never fire. */
    static final class SelectorLoop implements AutoCloseable {
        final Selector selector;
        private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
        private final Thread thread;
        private volatile boolean running = true;

        SelectorLoop() throws IOException {
            selector = Selector.open();
            thread = new Thread(() -> {
                while (running) {
                    try {
                        selector.select(100);
                        selector.selectedKeys().clear();
                    } catch (IOException e) {
                        return;
                    }
                    Runnable t;
                    while ((t = tasks.poll()) != null) {
                        t.run();
                    }
                }
            }, "user-selector");
            thread.setDaemon(true);
            thread.start();
        }

        <T> T call(java.util.concurrent.Callable<T> task) throws Exception {
            CompletableFuture<T> f = new CompletableFuture<>();
            tasks.add(() -> {
                try {
                    f.complete(task.call());
                } catch (Throwable t) {
                    f.completeExceptionally(t);
                }
            });
            selector.wakeup();
            return f.get(10, TimeUnit.SECONDS);
        }

        @Override
        public void close() throws IOException {
            running = false;
            selector.wakeup();
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            selector.close();
        }
    }
}
