package org.example.leaky;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Not teardown-based: a Netty server that allows half-closure and ignores the end of its clients' input, so each
 * channel whose client hangs up stays in CLOSE_WAIT. Native epoll transport, or NIO with {@code -Dtransport=nio}.
 * Prints its port, then serves until killed.
 */
public final class NettyLeakServer {
    public static void main(String[] args) throws Exception {
        boolean nio = "nio".equals(System.getProperty("transport"));
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
                nio ? NioIoHandler.newFactory() : EpollIoHandler.newFactory());
        ServerBootstrap b = new ServerBootstrap()
                .group(group)
                .channel(nio ? NioServerSocketChannel.class : EpollServerSocketChannel.class)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new IgnoresHalfClose());
                    }
                });
        Channel server = b.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel(); // LISTEN
        System.out.println("port " + ((InetSocketAddress) server.localAddress()).getPort());
        System.out.flush();
        server.closeFuture().sync();
    }

    /** Discards input; on the client's FIN it does nothing, where it should close the channel. */
    static final class IgnoresHalfClose extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ((ByteBuf) msg).release();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                return; // LEAK: should be ctx.close()
            }
            ctx.fireUserEventTriggered(evt);
        }
    }
}
