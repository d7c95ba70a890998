package dev.teardown.bench;

import dev.teardown.TcpListener;
import dev.teardown.TcpSocket;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * The echo server of the parking benchmark, one per JVM (started by {@link EchoBench}): one thread accepts, one
 * thread per connection reads and writes back what it read, until EOF. The same code for every socket API, on
 * virtual or platform threads. Usage: {@code EchoServer IMPL virtual|platform [BACKLOG [IDLE]]}; with IDLE it first
 * opens that many connections to itself that never send (their server threads stay parked in read for the whole
 * run, as idle keep-alive connections do), then prints {@code LISTENING <port>} and serves until stdin closes.
 */
final class EchoServer {
    private EchoServer() {}

    static final String TEARDOWN = "teardown";
    static final String JDK_SOCKET = "jdk-socket";
    static final String JDK_CHANNEL = "jdk-channel";

    /** Per-connection buffer: as a typical server's read buffer. */
    static final int BUFFER = 8192;

    public static void main(String[] args) throws Exception {
        String impl = args[0];
        boolean virtual = args[1].equals("virtual");
        int backlog = args.length > 2 ? Integer.parseInt(args[2]) : 4096;
        int idle = args.length > 3 ? Integer.parseInt(args[3]) : 0;
        InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
        Runnable acceptLoop;
        int port;
        switch (impl) {
            case TEARDOWN: {
                TcpListener l = TcpListener.bind(any, backlog);
                port = l.localAddress().getPort();
                acceptLoop = () -> {
                    for (;;) {
                        TcpSocket s = accept(l);
                        VirtualThreads.start(virtual, () -> serve(s));
                    }
                };
                break;
            }
            case JDK_SOCKET: {
                ServerSocket l = new ServerSocket();
                l.bind(any, backlog);
                port = l.getLocalPort();
                acceptLoop = () -> {
                    for (;;) {
                        Socket s = accept(l);
                        VirtualThreads.start(virtual, () -> serve(s));
                    }
                };
                break;
            }
            case JDK_CHANNEL: {
                ServerSocketChannel l = ServerSocketChannel.open();
                l.bind(any, backlog);
                port = ((InetSocketAddress) l.getLocalAddress()).getPort();
                acceptLoop = () -> {
                    for (;;) {
                        SocketChannel s = accept(l);
                        VirtualThreads.start(virtual, () -> serve(s));
                    }
                };
                break;
            }
            default:
                throw new IllegalArgumentException("unknown impl " + impl);
        }
        VirtualThreads.start(virtual, acceptLoop);
        java.util.List<SocketChannel> idlers = new java.util.ArrayList<>();
        for (int i = 0; i < idle; i++) {
            idlers.add(SocketChannel.open(new InetSocketAddress("127.0.0.1", port)));
        }
        System.out.println("LISTENING " + port);
        System.out.flush();
        while (System.in.read() >= 0) {
            // serve until the driver closes our stdin (or kills us)
        }
        System.out.println("IDLE_HELD " + idlers.size()); // keeps them reachable to the end
        System.exit(0);
    }

    static TcpSocket accept(TcpListener l) {
        try {
            TcpSocket s = l.accept();
            s.setOption(dev.teardown.TcpOption.TCP_NODELAY, true);
            return s;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static Socket accept(ServerSocket l) {
        try {
            Socket s = l.accept();
            s.setTcpNoDelay(true);
            return s;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static SocketChannel accept(ServerSocketChannel l) {
        try {
            SocketChannel s = l.accept();
            s.setOption(StandardSocketOptions.TCP_NODELAY, true);
            return s;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static void serve(TcpSocket s) {
        ByteBuffer b = ByteBuffer.allocateDirect(BUFFER);
        try (s) {
            while (s.read(b.clear()) > 0) {
                s.write(b.flip());
            }
        } catch (IOException e) {
            // the client went away
        }
    }

    static void serve(Socket s) {
        byte[] b = new byte[BUFFER];
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            for (int n; (n = in.read(b)) > 0;) {
                out.write(b, 0, n);
            }
        } catch (IOException e) {
            // the client went away
        }
    }

    static void serve(SocketChannel s) {
        ByteBuffer b = ByteBuffer.allocateDirect(BUFFER);
        try (s) {
            while (s.read(b.clear()) > 0) {
                b.flip();
                while (b.hasRemaining()) {
                    s.write(b);
                }
            }
        } catch (IOException e) {
            // the client went away
        }
    }
}
