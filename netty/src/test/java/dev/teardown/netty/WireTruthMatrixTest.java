package dev.teardown.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.teardown.CloseMode;
import dev.teardown.CloseOutcome;
import dev.teardown.TcpListener;
import dev.teardown.TcpOption;
import dev.teardown.TcpSocket;
import dev.teardown.inspect.CloseListeners;
import dev.teardown.jdk.JdkSockets;
import dev.teardown.testing.Capture;
import dev.teardown.testing.Capture.Segment;
import dev.teardown.testing.NetLab;
import dev.teardown.testing.Requirements;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The wire-truth matrix: every kind of socket a user closes through teardown (its own {@link TcpSocket}; a blocking
 * {@link SocketChannel}; a non-blocking one registered with a {@link Selector} whose thread sits in {@code select()};
 * a {@link Socket}; a Netty epoll and a Netty NIO channel) × every mode (RELEASE, SHUTDOWN, ABORT, graceful ended by
 * time, graceful ended by bytes, linger) × every peer condition (input left unread; output still queued; a peer that
 * reads everything; a silent peer; a peer that already sent FIN; a peer that already reset). The closer is the
 * accepted socket in namespace A, the peer a JDK client in B; tcpdump on A's link is the observer. For each cell the
 * outcome's facts must equal the capture's: FIN and RST from the closer, and an RST reported at once must have left
 * within 50 ms of the close returning; the counts must agree with the sentence and with the condition, and the close
 * must have reached {@link CloseListeners} with its socket kind. Every cell is printed.
 */
@Timeout(300)
class WireTruthMatrixTest {
    enum Kind { TCPSOCKET, BLOCKING_CHANNEL, SELECTOR_CHANNEL, JAVA_SOCKET, NETTY_EPOLL, NETTY_NIO }

    enum Mode {
        RELEASE(CloseMode.RELEASE), SHUTDOWN(CloseMode.SHUTDOWN), ABORT(CloseMode.ABORT),
        GRACEFUL_TIME(CloseMode.graceful(Duration.ofMillis(300))),
        GRACEFUL_BYTES(CloseMode.graceful(Duration.ofSeconds(5), 1000)),
        LINGER(CloseMode.linger(Duration.ofMillis(300)));

        final CloseMode mode;

        Mode(CloseMode mode) {
            this.mode = mode;
        }
    }

    enum Peer { UNREAD, UNSENT, READS_ALL, SILENT, PEER_FIN, PEER_RESET }

    /** What the peer sends before the close (UNREAD), and what the closer queues for a peer that does not read. */
    private static final int PEER_BYTES = 1000;
    private static final int QUEUED = 32 * 1024;

    private static NetLab lab;
    private static final Map<Kind, Server> SERVERS = new EnumMap<>(Kind.class);
    private static EventLoopGroup epoll;
    private static EventLoopGroup nio;
    private static final java.util.Set<CloseOutcome> HEARD =
            Collections.synchronizedSet(Collections.newSetFromMap(new java.util.IdentityHashMap<>()));
    private static final Consumer<CloseOutcome> LISTENER = HEARD::add;

    @BeforeAll
    static void setUp() throws Exception {
        lab = NetLab.create();
        Requirements.require(Epoll.isAvailable(), "Netty's native epoll transport");
        epoll = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        nio = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        for (Kind k : Kind.values()) {
            SERVERS.put(k, lab.a().call(() -> new Server(k)));
        }
        CloseListeners.add(LISTENER);
    }

    @AfterAll
    static void tearDown() throws Exception {
        CloseListeners.remove(LISTENER);
        for (Server s : SERVERS.values()) {
            s.close();
        }
        if (epoll != null) {
            epoll.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            nio.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
        if (lab != null) {
            lab.close();
        }
    }

    /** A listener of one kind in namespace A, handing out the closer's side of each connection. */
    static final class Server implements AutoCloseable {
        final Kind kind;
        final int port;
        private TcpListener tcp;
        private ServerSocketChannel channels;
        private ServerSocket sockets;
        private Channel netty;
        private Thread acceptor;
        /** Accepted connections by the peer's port: cells run in parallel and each takes its own. */
        private final Map<Integer, java.util.concurrent.CompletableFuture<Object>> accepted = new ConcurrentHashMap<>();

        private java.util.concurrent.CompletableFuture<Object> slot(int peerPort) {
            return accepted.computeIfAbsent(peerPort, k -> new java.util.concurrent.CompletableFuture<>());
        }

        private void startAcceptor(java.util.concurrent.Callable<Object> acceptOne) {
            acceptor = new Thread(() -> {
                for (;;) {
                    try {
                        Object a = acceptOne.call();
                        InetSocketAddress r = a instanceof TcpSocket t ? t.remoteAddress()
                                : a instanceof SocketChannel sc ? (InetSocketAddress) sc.getRemoteAddress()
                                : (InetSocketAddress) ((Socket) a).getRemoteSocketAddress();
                        slot(r.getPort()).complete(a);
                    } catch (Exception closed) {
                        return;
                    }
                }
            }, "matrix-acceptor-" + kind);
            acceptor.setDaemon(true);
            acceptor.start();
        }

        Server(Kind kind) throws Exception {
            this.kind = kind;
            InetSocketAddress at = new InetSocketAddress(NetLab.A, 0);
            switch (kind) {
                case TCPSOCKET:
                    tcp = TcpListener.builder().backlog(512).option(TcpOption.SO_SNDBUF, 256 * 1024).bind(at);
                    port = tcp.localAddress().getPort();
                    startAcceptor(tcp::accept);
                    break;
                case BLOCKING_CHANNEL:
                case SELECTOR_CHANNEL:
                    channels = ServerSocketChannel.open();
                    channels.bind(at, 512);
                    port = ((InetSocketAddress) channels.getLocalAddress()).getPort();
                    startAcceptor(channels::accept);
                    break;
                case JAVA_SOCKET:
                    sockets = new ServerSocket();
                    sockets.bind(at, 512);
                    port = sockets.getLocalPort();
                    startAcceptor(sockets::accept);
                    break;
                default:
                    ServerBootstrap b = new ServerBootstrap().group(kind == Kind.NETTY_EPOLL ? epoll : nio)
                            .channel(kind == Kind.NETTY_EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                            .option(ChannelOption.SO_BACKLOG, 512)
                            .childOption(ChannelOption.AUTO_READ, false)
                            .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true) // a peer's FIN leaves it open: CLOSE_WAIT
                            .childOption(ChannelOption.SO_SNDBUF, 256 * 1024)
                            .childHandler(new Accepted());
                    netty = b.bind(at).sync().channel();
                    port = ((InetSocketAddress) netty.localAddress()).getPort();
            }
        }

        /** Hands each accepted Netty channel to its cell; one instance for every child pipeline. */
        @io.netty.channel.ChannelHandler.Sharable
        private final class Accepted extends ChannelInboundHandlerAdapter {
            @Override
            public void channelActive(ChannelHandlerContext ctx) {
                slot(((InetSocketAddress) ctx.channel().remoteAddress()).getPort()).complete(ctx.channel());
                ctx.fireChannelActive();
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                // a peer's reset: the channel stays open (half closure), as a leaking server's does
            }
        }

        /** The closer's side of the connection from {@code peerPort}. */
        Closer accept(int peerPort) throws Exception {
            Object a = slot(peerPort).get(5, TimeUnit.SECONDS);
            accepted.remove(peerPort);
            switch (kind) {
                case TCPSOCKET:
                    return new Closer((TcpSocket) a);
                case BLOCKING_CHANNEL:
                    return new Closer((SocketChannel) a, false);
                case SELECTOR_CHANNEL:
                    return new Closer((SocketChannel) a, true);
                case JAVA_SOCKET: {
                    Socket s = (Socket) a;
                    s.setSendBufferSize(256 * 1024);
                    return new Closer(s);
                }
                default:
                    return new Closer((io.netty.channel.socket.SocketChannel) a);
            }
        }

        @Override
        public void close() throws Exception {
            if (tcp != null) {
                tcp.close();
            }
            if (channels != null) {
                channels.close();
            }
            if (sockets != null) {
                sockets.close();
            }
            if (netty != null) {
                netty.close().sync();
            }
        }
    }

    /** One closer: writes for the UNSENT condition, and closes the way its kind is closed. */
    static final class Closer {
        private TcpSocket tcp;
        private SocketChannel ch;
        private Socket socket;
        private io.netty.channel.socket.SocketChannel netty;
        private Selector selector;
        private Thread selecting;

        Closer(TcpSocket s) {
            tcp = s;
        }

        Closer(SocketChannel c, boolean registered) throws IOException {
            ch = c;
            c.setOption(StandardSocketOptions.SO_SNDBUF, 256 * 1024);
            if (registered) {
                c.configureBlocking(false);
                selector = Selector.open();
                c.register(selector, 0);
                selecting = new Thread(() -> {
                    try {
                        selector.select(); // blocked: no interest set, nobody wakes it until the cell ends
                    } catch (IOException ignored) {
                        // closed
                    }
                }, "matrix-selector");
                selecting.setDaemon(true);
                selecting.start();
            }
        }

        Closer(Socket s) {
            socket = s;
        }

        Closer(io.netty.channel.socket.SocketChannel c) {
            netty = c;
        }

        void write(int n) throws Exception {
            ByteBuffer b = ByteBuffer.allocate(n);
            if (tcp != null) {
                while (b.hasRemaining()) {
                    tcp.write(b);
                }
            } else if (ch != null) {
                while (b.hasRemaining()) {
                    ch.write(b); // non-blocking for SELECTOR_CHANNEL: the send buffer takes it all
                }
            } else if (socket != null) {
                socket.getOutputStream().write(new byte[n]);
            } else {
                netty.writeAndFlush(Unpooled.wrappedBuffer(new byte[n])).sync();
            }
        }

        CloseOutcome close(CloseMode mode) throws Exception {
            if (tcp != null) {
                return tcp.close(mode);
            }
            if (ch != null) {
                return JdkSockets.close(ch, mode);
            }
            if (socket != null) {
                return JdkSockets.close(socket, mode);
            }
            return NettyTeardown.close(netty, mode).get(30, TimeUnit.SECONDS);
        }

        /** After the cell: wakes the selector (its deferred close(2) happens now) and closes what is left. */
        void cleanUp() throws Exception {
            if (selector != null) {
                selector.wakeup();
                selecting.join(2000);
                selector.close();
            }
            if (ch != null && ch.isOpen()) {
                ch.close();
            }
            if (socket != null && !socket.isClosed()) {
                socket.close();
            }
            if (tcp != null) {
                tcp.close(CloseMode.ABORT);
            }
            if (netty != null && netty.isOpen()) {
                netty.close().sync();
            }
        }
    }

    /** What one cell did and saw. */
    static final class Cell {
        final Kind kind;
        final Mode mode;
        final Peer peer;
        int serverPort;
        int peerPort;
        CloseOutcome outcome;
        Throwable failure;
        long startMicros;
        long returnMicros;
        long endMicros;
        final List<String> problems = new ArrayList<>();
        String wire = "";

        Cell(Kind kind, Mode mode, Peer peer) {
            this.kind = kind;
            this.mode = mode;
            this.peer = peer;
        }

        String name() {
            return kind + " x " + mode + " x " + peer;
        }
    }

    @Test
    void everyCloseSaysWhatTheWireShows() throws Exception {
        List<Cell> cells = new ArrayList<>();
        String only = System.getProperty("matrix.kinds", ""); // for a run by hand: -Dmatrix.kinds=NETTY_NIO,TCPSOCKET
        for (Kind k : Kind.values()) {
            if (!only.isEmpty() && !List.of(only.split(",")).contains(k.name())) {
                continue;
            }
            for (Mode m : Mode.values()) {
                for (Peer p : Peer.values()) {
                    cells.add(new Cell(k, m, p));
                }
            }
        }
        Collections.shuffle(cells, new java.util.Random(18)); // kinds and slow cells spread over the threads
        List<Segment> segs;
        ExecutorService pool = Executors.newFixedThreadPool(12);
        try (Capture cap = Capture.start(lab.a().name(), lab.linkA(), "tcp")) {
            List<Future<?>> done = new ArrayList<>();
            for (Cell c : cells) {
                done.add(pool.submit(() -> {
                    try {
                        run(c);
                    } catch (Throwable t) {
                        c.failure = t;
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(240, TimeUnit.SECONDS);
            }
            segs = cap.stop();
        } finally {
            pool.shutdownNow();
        }
        int bad = 0;
        StringBuilder table = new StringBuilder();
        cells.sort((a, b) -> a.name().compareTo(b.name()));
        for (Cell c : cells) {
            check(c, segs);
            if (!c.problems.isEmpty()) {
                bad++;
            }
            table.append(String.format("%-4s %-44s wire %-10s outcome %s%s%n", c.problems.isEmpty() ? "ok" : "BAD",
                    c.name(), c.wire, c.outcome == null ? "(none: " + c.failure + ")" : c.outcome.sent()
                            + " unread " + c.outcome.unreadBytesDiscarded() + " unsent " + c.outcome.unsentBytesDiscarded()
                            + " drained " + c.outcome.bytesDrained() + " refs " + c.outcome.referencesLeft()
                            + " | " + c.outcome.detail(),
                    c.problems.isEmpty() ? "" : "\n       " + String.join("\n       ", c.problems)));
        }
        System.out.println("wire-truth matrix on JDK " + Runtime.version().feature() + ", " + cells.size() + " cells, "
                + bad + " disagreeing:\n" + table);
        assertEquals(0, bad, bad + " cells whose outcome disagrees with the wire (table above)");
    }

    /** Wall-clock microseconds, the clock tcpdump stamps segments with. */
    private static long nowMicros() {
        return java.time.temporal.ChronoUnit.MICROS.between(java.time.Instant.EPOCH, java.time.Instant.now());
    }

    private static void run(Cell c) throws Exception {
        Server server = SERVERS.get(c.kind);
        c.serverPort = server.port;
        SocketChannel peer = lab.b().call(() -> {
            SocketChannel p = SocketChannel.open();
            if (c.peer == Peer.UNSENT) {
                p.setOption(StandardSocketOptions.SO_RCVBUF, 2048); // a small window: the closer's output stays queued
            }
            p.connect(new InetSocketAddress(NetLab.A, server.port));
            return p;
        });
        c.peerPort = ((InetSocketAddress) peer.getLocalAddress()).getPort();
        Closer closer = server.accept(c.peerPort);
        Thread reader = null;
        long[] peerRead = {0};
        try {
            switch (c.peer) {
                case UNREAD:
                    peer.write(ByteBuffer.wrap(new byte[PEER_BYTES]));
                    Thread.sleep(50);
                    reader = readToEnd(peer, peerRead);
                    break;
                case UNSENT:
                    closer.write(QUEUED);
                    Thread.sleep(50);
                    break;
                case READS_ALL:
                    reader = readToEnd(peer, peerRead);
                    break;
                case SILENT:
                    break;
                case PEER_FIN:
                    peer.shutdownOutput();
                    Thread.sleep(50);
                    reader = readToEnd(peer, peerRead);
                    break;
                case PEER_RESET:
                    peer.setOption(StandardSocketOptions.SO_LINGER, 0);
                    peer.close();
                    Thread.sleep(50);
                    break;
                default:
                    throw new AssertionError(c.peer);
            }
            c.startMicros = nowMicros();
            try {
                c.outcome = closer.close(c.mode.mode);
            } catch (Throwable t) {
                c.failure = t;
            }
            c.returnMicros = nowMicros();
            if (c.peer == Peer.UNSENT || c.peer == Peer.SILENT) {
                reader = readToEnd(peer, peerRead); // now the peer reads, so a FIN queued behind data can leave
            }
            if (reader != null) {
                reader.join(5000);
            }
            Thread.sleep(100);
            c.endMicros = nowMicros();
        } finally {
            closer.cleanUp();
            if (peer.isOpen()) {
                peer.setOption(StandardSocketOptions.SO_LINGER, 0);
                peer.close();
            }
        }
    }

    /** A thread that reads the peer's side to end of stream (or an error), then closes it. */
    private static Thread readToEnd(SocketChannel peer, long[] count) {
        Thread t = new Thread(() -> {
            ByteBuffer b = ByteBuffer.allocate(64 * 1024);
            try {
                for (int n; (n = peer.read(b.clear())) >= 0; ) {
                    count[0] += n;
                }
                peer.close();
            } catch (IOException reset) {
                // the closer reset the connection
            }
        }, "matrix-peer");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static double seconds(long micros) {
        return micros / 1e6;
    }

    private static void check(Cell c, List<Segment> segs) {
        if (c.outcome == null) {
            c.problems.add("the close failed: " + c.failure);
            return;
        }
        CloseOutcome o = c.outcome;
        double from = seconds(c.startMicros) - 0.005;
        double to = seconds(c.endMicros);
        List<Segment> mine = new ArrayList<>();
        for (Segment s : segs) {
            double t = dev.teardown.testing.WireChecks.time(s);
            if (s.srcPort() == c.serverPort && s.dstPort() == c.peerPort && t >= from && t <= to) {
                mine.add(s);
            }
        }
        boolean fin = mine.stream().anyMatch(Segment::fin);
        boolean rst = mine.stream().anyMatch(Segment::rst);
        c.wire = fin && rst ? "FIN+RST" : fin ? "FIN" : rst ? "RST" : "nothing";
        boolean saysFin = o.sent() == CloseOutcome.Sent.FIN || o.sent() == CloseOutcome.Sent.FIN_THEN_RST;
        if (saysFin != fin) {
            c.problems.add("FIN: outcome says " + o.sent() + ", the capture " + (fin ? "shows one" : "shows none"));
        }
        if (o.rstSent() != rst) {
            c.problems.add("RST: outcome says " + o.sent() + ", the capture " + (rst ? "shows one" : "shows none"));
        }
        if (o.rstSent() && rst) {
            double firstRst = mine.stream().filter(Segment::rst).mapToDouble(dev.teardown.testing.WireChecks::time).min()
                    .orElse(0);
            if (firstRst > seconds(c.returnMicros) + 0.050) {
                c.problems.add(String.format("the RST reported at once left %.1f ms after the close returned",
                        (firstRst - seconds(c.returnMicros)) * 1000));
            }
        }
        // the sentence and the counts agree with sent()
        String d = o.detail();
        if (o.rstSent() != (d.contains("RST sent") || d.contains("then RST"))) {
            c.problems.add("detail does not match sent() " + o.sent() + ": " + d);
        }
        if (!o.rstSent() && (o.unreadBytesDiscarded() > 0 || o.unsentBytesDiscarded() > 0)) {
            c.problems.add("bytes discarded without an RST");
        }
        if (c.mode.mode.kind() == CloseMode.Kind.GRACEFUL && o.bytesDrained() > c.mode.mode.maxDrainBytes()) {
            c.problems.add("drained " + o.bytesDrained() + " past the limit " + c.mode.mode.maxDrainBytes());
        }
        if (c.peer == Peer.UNREAD && o.rstSent() && o.bytesDrained() == 0 && o.unreadBytesDiscarded() != PEER_BYTES) {
            c.problems.add("unread input discarded: " + o.unreadBytesDiscarded() + ", expected " + PEER_BYTES);
        }
        if (c.peer == Peer.UNSENT && o.rstSent() && (o.unsentBytesDiscarded() <= 0 || o.unsentBytesDiscarded() > QUEUED)) {
            c.problems.add("unsent bytes dropped: " + o.unsentBytesDiscarded() + ", expected 1.." + QUEUED);
        }
        if (c.peer != Peer.UNSENT && o.unsentBytesDiscarded() > 0) {
            c.problems.add("unsent bytes dropped (" + o.unsentBytesDiscarded() + ") though nothing was queued");
        }
        if (o.referencesLeft() != 0 && !(c.kind == Kind.SELECTOR_CHANNEL && o.referencesLeft() == 1)) {
            c.problems.add("references left " + o.referencesLeft());
        }
        String expectKind = switch (c.kind) {
            case TCPSOCKET -> CloseOutcome.TEARDOWN;
            case BLOCKING_CHANNEL, SELECTOR_CHANNEL -> "jdk-channel";
            case JAVA_SOCKET -> "jdk-socket";
            case NETTY_EPOLL -> "netty-epoll";
            case NETTY_NIO -> "netty-nio";
        };
        if (!expectKind.equals(o.socketKind())) {
            c.problems.add("socket kind " + o.socketKind() + ", expected " + expectKind);
        }
        if (!HEARD.contains(o)) {
            c.problems.add("the close never reached CloseListeners");
        }
    }
}
