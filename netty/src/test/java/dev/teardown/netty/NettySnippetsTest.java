package dev.teardown.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.teardown.CloseOutcome;
import dev.teardown.netty.snippets.NettySnippets;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** NettyTeardown's Javadoc example on a real NIO channel, against a JDK peer that answers after our FIN. */
class NettySnippetsTest {
    @Test
    void theGracefulCloseReadsThePeersLastBytesAndSendsFin() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (ServerSocket peer = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
            Channel channel = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .handler(new ChannelInboundHandlerAdapter())
                    .connect(peer.getLocalSocketAddress()).sync().channel();
            try (Socket accepted = peer.accept()) {
                accepted.setSoTimeout(10_000);
                var closed = NettySnippets.closeGracefully(channel);
                InputStream in = accepted.getInputStream();
                assertEquals(-1, in.read(), "the peer sees our FIN");
                OutputStream out = accepted.getOutputStream();
                out.write(new byte[] {1, 2, 3}); // the peer's last words, read by the drain
                accepted.shutdownOutput();
                CloseOutcome outcome = closed.get(10, TimeUnit.SECONDS);
                assertEquals(CloseOutcome.Sent.FIN, outcome.sent(), outcome.detail());
                assertEquals(3, outcome.bytesDrained(), outcome.detail());
                assertFalse(channel.isOpen());
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}
