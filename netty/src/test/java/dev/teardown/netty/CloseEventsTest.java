package dev.teardown.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.teardown.CloseMode;
import dev.teardown.CloseOutcome;
import dev.teardown.inspect.CloseEvent;
import dev.teardown.inspect.CloseListeners;
import dev.teardown.jdk.JdkSockets;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A close of a JDK channel and of a Netty channel reach what every teardown close reaches: one JFR
 * {@code dev.teardown.Close} event each, with the socket's kind, mode and what was sent, and one call of each
 * {@link CloseListeners} listener with the same outcome.
 */
@Timeout(60)
class CloseEventsTest {
    @Test
    void jdkAndNettyClosesReachJfrAndTheListeners() throws Exception {
        List<CloseOutcome> heard = new CopyOnWriteArrayList<>();
        Consumer<CloseOutcome> listener = heard::add;
        CloseListeners.add(listener);
        Path file = Files.createTempFile("teardown-close-events", ".jfr");
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (Recording r = new Recording(); ServerSocketChannel jdkServer = ServerSocketChannel.open()) {
            r.enable(CloseEvent.NAME);
            r.start();
            // a JDK channel, closed with SHUTDOWN
            jdkServer.bind(new InetSocketAddress("127.0.0.1", 0));
            SocketChannel jdkClient = SocketChannel.open(jdkServer.getLocalAddress());
            SocketChannel jdkAccepted = jdkServer.accept();
            CloseOutcome jdk = JdkSockets.close(jdkAccepted, CloseMode.SHUTDOWN);
            // a Netty NIO channel, closed with ABORT
            CompletableFuture<Channel> accepted = new CompletableFuture<>();
            Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelActive(ChannelHandlerContext ctx) {
                            accepted.complete(ctx.channel());
                        }
                    }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            SocketChannel nettyClient = SocketChannel.open(server.localAddress());
            CloseOutcome netty = NettyTeardown.close(accepted.get(5, TimeUnit.SECONDS), CloseMode.ABORT).get(10, TimeUnit.SECONDS);
            r.stop();
            r.dump(file);
            server.close().sync();
            jdkClient.close();
            nettyClient.close();

            assertEquals(CloseOutcome.Sent.FIN, jdk.sent(), jdk.toString());
            assertEquals(CloseOutcome.Sent.RST, netty.sent(), netty.toString());
            assertTrue(heard.contains(jdk) && heard.contains(netty), "the listeners heard both: " + heard);

            List<String> events = new ArrayList<>();
            for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
                if (e.getEventType().getName().equals(CloseEvent.NAME)) {
                    events.add(e.getString("socket") + " " + e.getString("mode") + " " + e.getString("sent"));
                }
            }
            System.out.println("JFR close events: " + events);
            assertTrue(events.contains("jdk-channel SHUTDOWN FIN"), events.toString());
            assertTrue(events.contains("netty-nio ABORT RST"), events.toString());
        } finally {
            CloseListeners.remove(listener);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            Files.deleteIfExists(file);
        }
    }
}
