package dev.teardown.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.teardown.CloseMode;
import dev.teardown.CloseOutcome;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A Netty channel whose application handlers throw on everything while teardown drains it. */
@Timeout(60)
class NettyBadInputTest {
    @Test
    void aPipelineThatThrowsDuringTheDrainChangesNothing() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        AtomicInteger thrown = new AtomicInteger();
        try {
            CompletableFuture<Channel> accepted = new CompletableFuture<>();
            Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelActive(ChannelHandlerContext ctx) {
                            accepted.complete(ctx.channel());
                        }

                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            thrown.incrementAndGet();
                            throw new IllegalStateException("the application's handler fails on every read");
                        }

                        @Override
                        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                            thrown.incrementAndGet();
                            throw new IllegalStateException("and on every event");
                        }
                    }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            try (SocketChannel peer = SocketChannel.open(server.localAddress())) {
                Channel child = accepted.get(5, TimeUnit.SECONDS);
                peer.write(ByteBuffer.wrap(new byte[5000]));
                CompletableFuture<Void> finLater = CompletableFuture.runAsync(() -> {
                    try {
                        Thread.sleep(200);
                        peer.write(ByteBuffer.wrap(new byte[3000]));
                        peer.shutdownOutput();
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                CloseOutcome o = NettyTeardown.close(child, CloseMode.graceful(Duration.ofSeconds(5))).get(10, TimeUnit.SECONDS);
                finLater.get(5, TimeUnit.SECONDS);
                assertEquals(CloseOutcome.Sent.FIN, o.sent(), o.toString());
                assertEquals(8000, o.bytesDrained(), o.toString());
                assertTrue(o.detail().contains("peer's FIN received"), o.toString());
                assertFalse(child.isOpen());
                assertEquals(0, thrown.get(), "the drain's reads never reached the application's handlers");
                assertEquals(-1, peer.read(ByteBuffer.allocate(16)), "the peer reads the FIN, not a reset");
            }
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}
