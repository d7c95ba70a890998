package dev.teardown.inspect;

import dev.teardown.TcpInfo;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * Run in a separate JVM by {@link TcpInfoTest}: reads TCP_INFO of a JDK channel and prints "STATE x" or
 * "FAILED message". Exit 0 either way; 1 on anything unexpected.
 */
public final class JdkChannelProbe {
    private JdkChannelProbe() {}

    public static void main(String[] args) throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open()
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                SocketChannel client = SocketChannel.open(server.getLocalAddress());
                SocketChannel accepted = server.accept()) {
            try {
                System.out.println("STATE " + TcpInfo.of(client).state());
            } catch (IllegalStateException e) {
                System.out.println("FAILED " + e.getMessage());
            }
        } catch (Throwable t) {
            t.printStackTrace();
            System.exit(1);
        }
    }
}
