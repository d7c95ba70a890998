package dev.teardown.examples;

import dev.teardown.CloseOutcome;
import dev.teardown.netty.NettyTeardown;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * {@link Http413} with a Netty server (epoll where available, else NIO) that stops reading after the request's
 * headers: {@code channel.close()} after the write completes, against {@link NettyTeardown#close}.
 */
final class Netty413 extends Http413 {
    @Override
    public String name() {
        return "netty-413";
    }

    @Override
    public String summary() {
        return "a Netty server rejects curl's upload with 413: channel.close() cuts the response; NettyTeardown graceful delivers it";
    }

    @Override
    String serverName() {
        return "a Netty " + (Epoll.isAvailable() ? "epoll" : "NIO") + " server";
    }

    @Override
    String plainClose() {
        return "writeAndFlush(response).addListener(f -> f.channel().close())";
    }

    @Override
    String teardownClose() {
        return "writeAndFlush(response).addListener(f -> NettyTeardown.close(f.channel(), " + GRACEFUL + "))";
    }

    @Override
    Server start(boolean teardown) throws Exception {
        boolean epoll = Epoll.isAvailable();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        Server s = new Server(teardown) {
            Channel server;

            @Override
            int port() {
                return ((InetSocketAddress) server.localAddress()).getPort();
            }

            @Override
            public void close() throws Exception {
                server.close().sync();
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            }

            Server bind() throws InterruptedException {
                server = new ServerBootstrap().group(group)
                        .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                        .childHandler(new Reject(teardown, this))
                        .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
                return this;
            }
        }.bind();
        return s;
    }

    /** Reads up to the end of the headers, stops reading, answers 413 and closes. */
    @io.netty.channel.ChannelHandler.Sharable
    private static final class Reject extends ChannelInboundHandlerAdapter {
        private final boolean teardown;
        private final Server server;

        Reject(boolean teardown, Server server) {
            this.teardown = teardown;
            this.server = server;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf in = (ByteBuf) msg;
            int matched = ctx.channel().hasAttr(MATCHED) ? ctx.channel().attr(MATCHED).get() : 0;
            boolean headersDone = matched == 4;
            while (in.isReadable() && matched < 4) {
                byte b = in.readByte();
                matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : b == '\r' ? 1 : 0;
            }
            in.release();
            ctx.channel().attr(MATCHED).set(matched);
            if (headersDone || matched < 4) {
                return;
            }
            ctx.channel().config().setAutoRead(false); // the upload is never read
            ctx.writeAndFlush(Unpooled.wrappedBuffer(HEAD, new byte[BODY])).addListener(f -> {
                Channel ch = ((io.netty.channel.ChannelFuture) f).channel();
                if (teardown) {
                    NettyTeardown.close(ch, GRACEFUL).addListener(done -> server.closes.add(done.isSuccess()
                            ? "NettyTeardown.close -> " + describe((CloseOutcome) done.getNow()) : "failed: " + done.cause()));
                } else {
                    ch.close().addListener(done -> server.closes.add("channel.close()"));
                }
            });
        }

        private static String describe(CloseOutcome o) {
            return o.sent() + ": " + o.detail();
        }
    }

    private static final io.netty.util.AttributeKey<Integer> MATCHED = io.netty.util.AttributeKey.valueOf("headerEnd");
}
