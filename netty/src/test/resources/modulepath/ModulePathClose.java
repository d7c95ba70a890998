import dev.teardown.CloseMode;
import dev.teardown.CloseOutcome;
import dev.teardown.netty.NettyTeardown;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Run by NettyModulePathTest with teardown, JNA, teardown-netty and Netty on the module path: NettyTeardown.close(ABORT)
 * of an accepted channel must complete with an RST outcome and leave the channel closed. Prints the outcome and the
 * modules it ran in; exits 1 on anything else.
 */
public class ModulePathClose {
    public static void main(String[] args) throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            CompletableFuture<Channel> accepted = new CompletableFuture<>();
            Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelActive(ChannelHandlerContext ctx) {
                            accepted.complete(ctx.channel());
                        }
                    }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            Channel client = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .handler(new ChannelInboundHandlerAdapter()).connect(server.localAddress()).sync().channel();
            Channel child = accepted.get(5, TimeUnit.SECONDS);
            CloseOutcome o = NettyTeardown.close(child, CloseMode.ABORT).get(10, TimeUnit.SECONDS);
            System.out.println("modules: " + CloseMode.class.getModule() + ", " + NettyTeardown.class.getModule() + ", "
                    + Channel.class.getModule());
            System.out.println("outcome: " + o);
            client.closeFuture().await(5, TimeUnit.SECONDS);
            boolean ok = o.sent() == CloseOutcome.Sent.RST && !child.isOpen() && !client.isActive()
                    && CloseMode.class.getModule().isNamed() && NettyTeardown.class.getModule().isNamed();
            server.close().sync();
            System.exit(ok ? 0 : 1);
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }
}
