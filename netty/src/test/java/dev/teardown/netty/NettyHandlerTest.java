package dev.teardown.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.teardown.CloseMode;
import dev.teardown.CloseOutcome;
import dev.teardown.testing.Kernel;
import dev.teardown.testing.Requirements;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** TeardownHandler in a pipeline, and what NettyTeardown does with channels it cannot act on. Loopback. */
@Timeout(30)
class NettyHandlerTest {
    private static final InetAddress LO = InetAddress.getLoopbackAddress();

    /** A NIO server whose children get {@code handler} first and then {@code app}; accepted children are queued. */
    private static final class Server implements AutoCloseable {
        final EventLoopGroup group = NettyConn.group(NettyConn.Kind.NIO);
        final BlockingQueue<Channel> accepted = new LinkedBlockingQueue<>();
        final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
        final Channel server;

        Server(TeardownHandler handler, ChannelInboundHandlerAdapter app) throws InterruptedException {
            server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            accepted.add(ch);
                            if (handler != null) {
                                ch.pipeline().addFirst(handler);
                            }
                            ch.pipeline().addLast(app, new ChannelInboundHandlerAdapter() {
                                @Override
                                public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                                    events.add(evt);
                                }
                            });
                        }
                    }).bind(new InetSocketAddress(LO, 0)).sync().channel();
        }

        SocketChannel connect() throws Exception {
            return SocketChannel.open(server.localAddress());
        }

        @Override
        public void close() throws InterruptedException {
            server.close().sync();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void localAndEmbeddedChannelsAreNotTcp() {
        EmbeddedChannel embedded = new EmbeddedChannel();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NettyTeardown.close(embedded, CloseMode.ABORT));
        assertTrue(e.getMessage().contains("not a TCP channel") && e.getMessage().contains("EmbeddedChannel"), e.getMessage());
        assertTrue(embedded.isOpen(), "nothing was closed");
        e = assertThrows(IllegalArgumentException.class, () -> NettyTeardown.close(new LocalChannel(), CloseMode.ABORT));
        assertTrue(e.getMessage().contains("LocalChannel"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NettyTeardown.close(null, CloseMode.ABORT));
        assertThrows(IllegalArgumentException.class, () -> new TeardownHandler(null));
        embedded.finishAndReleaseAll();
    }

    @Test
    void anUnregisteredChannelIsRefused() {
        NioSocketChannel ch = new NioSocketChannel();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> NettyTeardown.close(ch, CloseMode.SHUTDOWN));
        assertTrue(e.getMessage().contains("not registered"), e.getMessage());
        ch.unsafe().closeForcibly();
    }

    @Test
    void anAlreadyClosedChannelFailsTheFutureAndAChannelClosedDuringTheDrainSaysSo() throws Exception {
        try (Server s = new Server(null, new ChannelInboundHandlerAdapter())) {
            SocketChannel peer = s.connect();
            Channel ch = s.accepted.poll(5, TimeUnit.SECONDS);
            assertNotNull(ch);
            Future<CloseOutcome> draining = NettyTeardown.close(ch, CloseMode.graceful(Duration.ofSeconds(10)));
            Thread.sleep(200);
            ch.close().sync(); // the owner closes it while teardown drains
            CloseOutcome o = draining.get(5, TimeUnit.SECONDS);
            assertTrue(o.detail().contains("closed by its owner"), o.toString());
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> NettyTeardown.close(ch, CloseMode.ABORT).get(5, TimeUnit.SECONDS));
            assertInstanceOf(ClosedChannelException.class, e.getCause());
            peer.close();
        }
    }

    @Test
    void theDrainLimitEndsADrainAgainstAnEndlessSender() throws Exception {
        try (Server s = new Server(null, new ChannelInboundHandlerAdapter())) {
            SocketChannel peer = s.connect();
            Channel ch = s.accepted.poll(5, TimeUnit.SECONDS);
            Thread flood = new Thread(() -> {
                ByteBuffer b = ByteBuffer.allocate(16 * 1024);
                try {
                    for (;;) {
                        peer.write(b.clear());
                    }
                } catch (java.io.IOException expected) {
                    // reset by the closer
                }
            });
            flood.start();
            CloseOutcome o = NettyTeardown.close(ch, CloseMode.graceful(Duration.ofSeconds(10), 64 * 1024)).get(10, TimeUnit.SECONDS);
            assertTrue(o.drainLimitReached(), o.toString());
            assertTrue(o.rstSent(), o.toString());
            assertFalse(o.deadlineExpired(), o.toString());
            flood.join(5000);
            assertFalse(flood.isAlive(), "the peer's writes fail after the RST");
            peer.close();
        }
    }

    @Test
    void theHandlerEndsAnHttpStyleCloseGracefullyAndReportsIt() throws Exception {
        final int response = 1 << 20;
        TeardownHandler handler = new TeardownHandler(CloseMode.graceful(Duration.ofSeconds(5), 1 << 20));
        ChannelInboundHandlerAdapter app = new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ReferenceCountUtil.release(msg);
                // answer at once with "Connection: close" semantics, without reading the rest of the request
                if (ctx.channel().attr(io.netty.util.AttributeKey.valueOf("answered")).setIfAbsent(true) == null) {
                    ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[response])).addListener(ChannelFutureListener.CLOSE);
                }
            }
        };
        try (Server s = new Server(handler, app)) {
            SocketChannel peer = s.connect();
            peer.write(ByteBuffer.wrap(new byte[64 * 1024])); // more "request" than the server will read
            Thread.sleep(200);
            ByteBuffer b = ByteBuffer.allocate(64 * 1024);
            long got = 0;
            peer.write(ByteBuffer.wrap(new byte[64 * 1024])); // still sending after the answer
            for (int r; (r = peer.read(b.clear())) >= 0; ) {
                got += r;
            }
            assertEquals(response, got, "the whole response, then EOF (not a reset)");
            peer.close(); // our FIN ends the server's drain
            Object evt;
            while (!((evt = s.events.poll(5, TimeUnit.SECONDS)) instanceof TeardownHandler.Closed)) {
                assertNotNull(evt, "a Closed event");
            }
            CloseOutcome o = ((TeardownHandler.Closed) evt).outcome();
            assertEquals(CloseOutcome.Sent.FIN, o.sent(), o.toString());
            assertTrue(o.bytesDrained() > 0, o.toString());
            assertEquals(1, handler.counts().fin(), handler.counts().toString());
            assertEquals(0, handler.counts().rst(), handler.counts().toString());
        }
    }

    @Test
    void aHandlerThatNeverClosesShowsUpAsCloseWait() throws Exception {
        Requirements.requireCommand("ss");
        TeardownHandler handler = new TeardownHandler(CloseMode.SHUTDOWN);
        try (Server s = new Server(handler, new ChannelInboundHandlerAdapter())) {
            SocketChannel peer = s.connect();
            Channel ch = s.accepted.poll(5, TimeUnit.SECONDS);
            peer.shutdownOutput();
            long end = System.nanoTime() + 5_000_000_000L;
            while (handler.closeWaits().isEmpty() && System.nanoTime() < end) {
                Thread.sleep(10);
            }
            assertTrue(handler.closeWaits().containsKey(ch), "the channel is listed: " + handler.closeWaits());
            assertTrue(ch.isOpen(), "Netty did not close it behind the application");
            int local = ((InetSocketAddress) ch.localAddress()).getPort();
            int remote = ((InetSocketAddress) ch.remoteAddress()).getPort();
            assertEquals("CLOSE-WAIT", Kernel.state(local, remote), "ss agrees");
            assertEquals(1, handler.counts().peerFins());
            ch.close().sync(); // through the handler: SHUTDOWN
            assertFalse(handler.closeWaits().containsKey(ch));
            assertEquals(1, handler.counts().fin(), handler.counts().toString());
            peer.close();
        }
    }
}
