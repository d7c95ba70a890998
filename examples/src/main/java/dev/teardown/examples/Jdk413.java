package dev.teardown.examples;

import dev.teardown.CloseOutcome;
import dev.teardown.jdk.JdkSockets;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/** {@link Http413} with a blocking JDK {@link ServerSocketChannel} server: {@code channel.close()} against JdkSockets. */
final class Jdk413 extends Http413 {
    @Override
    public String name() {
        return "jdk-413";
    }

    @Override
    public String summary() {
        return "a JDK server rejects curl's upload with 413: channel.close() cuts the response; JdkSockets graceful delivers it";
    }

    @Override
    String serverName() {
        return "a JDK ServerSocketChannel server";
    }

    @Override
    String plainClose() {
        return "channel.close()";
    }

    @Override
    String teardownClose() {
        return "JdkSockets.close(channel, " + GRACEFUL + ")";
    }

    @Override
    Server start(boolean teardown) throws IOException {
        ServerSocketChannel ss = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
        Server s = new Server(teardown) {
            @Override
            int port() {
                return ss.socket().getLocalPort();
            }

            @Override
            public void close() throws IOException {
                ss.close();
            }
        };
        Thread t = new Thread(() -> {
            while (ss.isOpen()) {
                try (SocketChannel ch = ss.accept()) {
                    readHeaders(ch);
                    ByteBuffer body = ByteBuffer.allocate(BODY);
                    for (ByteBuffer b : new ByteBuffer[] {ByteBuffer.wrap(HEAD), body}) {
                        while (b.hasRemaining()) {
                            ch.write(b);
                        }
                    }
                    if (teardown) {
                        CloseOutcome o = JdkSockets.close(ch, GRACEFUL);
                        s.closes.add("JdkSockets.close -> " + o.sent() + ": " + o.detail());
                    } else {
                        long unread = unread(ch);
                        ch.close();
                        s.closes.add("channel.close() with " + unread + " bytes of the upload unread in the kernel");
                    }
                } catch (IOException e) {
                    if (ss.isOpen()) {
                        s.closes.add("server failed: " + e);
                    }
                }
            }
        }, "jdk-413-server");
        t.setDaemon(true);
        t.start();
        return s;
    }

    /** The unread bytes as the kernel's table shows them (ss's Recv-Q), for the narration. */
    private static long unread(SocketChannel ch) throws IOException {
        return dev.teardown.inspect.TcpTable.lookup((InetSocketAddress) ch.getLocalAddress(),
                (InetSocketAddress) ch.getRemoteAddress()).map(e -> e.receiveQueue()).orElse(-1L);
    }

    /** Reads until the end of the request's headers; whatever of the body came with them is left at that. */
    static void readHeaders(SocketChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(16 * 1024);
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        for (;;) {
            b.clear();
            int n = ch.read(b);
            if (n < 0) {
                throw new IOException("the client closed before the end of the headers");
            }
            for (int i = 0; i < n; i++) {
                matched = b.get(i) == end[matched] ? matched + 1 : b.get(i) == '\r' ? 1 : 0;
                if (matched == 4) {
                    return;
                }
            }
        }
    }
}
