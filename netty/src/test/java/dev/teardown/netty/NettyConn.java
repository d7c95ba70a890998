package dev.teardown.netty;

import dev.teardown.testing.NetLab;
import dev.teardown.testing.Requirements;
import io.netty.bootstrap.ServerBootstrap;
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
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A Netty server (epoll or NIO) in namespace A of a {@link NetLab} with auto-read off, so the peer's bytes stay in
 * the kernel until teardown reads them, and one connection from a plain JDK peer in namespace B.
 */
final class NettyConn implements AutoCloseable {
    enum Kind { EPOLL, NIO }

    final EventLoopGroup group;
    final Channel server;
    final Channel child;
    final SocketChannel peer;
    final int serverPort;
    final int peerPort;

    static EventLoopGroup group(Kind kind) {
        if (kind == Kind.EPOLL) {
            Requirements.require(Epoll.isAvailable(), "Netty's native epoll transport (" + Epoll.unavailabilityCause() + ")");
            return new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        }
        return new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    NettyConn(NetLab lab, Kind kind, int peerSndBuf) throws Exception {
        group = group(kind);
        BlockingQueue<Channel> accepted = new LinkedBlockingQueue<>();
        ServerBootstrap b = new ServerBootstrap().group(group)
                .channel(kind == Kind.EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                .childOption(ChannelOption.AUTO_READ, false)
                .childHandler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelActive(ChannelHandlerContext ctx) {
                        accepted.add(ctx.channel());
                        ctx.fireChannelActive();
                    }
                });
        // the listening socket is made on the binding thread, so bind from inside namespace A
        server = lab.a().call(() -> b.bind(new InetSocketAddress(NetLab.A, 0)).sync().channel());
        serverPort = ((InetSocketAddress) server.localAddress()).getPort();
        peer = lab.b().call(() -> {
            SocketChannel c = SocketChannel.open();
            if (peerSndBuf > 0) {
                c.setOption(StandardSocketOptions.SO_SNDBUF, peerSndBuf);
            }
            c.connect(new InetSocketAddress(NetLab.A, serverPort));
            return c;
        });
        peerPort = ((InetSocketAddress) peer.getLocalAddress()).getPort();
        child = accepted.poll(5, TimeUnit.SECONDS);
        if (child == null) {
            throw new AssertionError("the Netty server accepted nothing");
        }
    }

    @Override
    public void close() throws Exception {
        try {
            if (peer.isOpen()) {
                peer.setOption(StandardSocketOptions.SO_LINGER, 0);
                peer.close();
            }
        } catch (Exception ignored) {
            // best effort
        }
        server.close().sync();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
}
