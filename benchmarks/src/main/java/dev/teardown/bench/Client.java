package dev.teardown.bench;

import dev.teardown.AddressNotAvailableException;
import dev.teardown.CloseMode;
import dev.teardown.TcpSocket;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;

/**
 * One client connection, the same four steps for every client so that they do the same work: connect,
 * the optional 1-byte exchange, reading to the server's EOF (server-first), and the close path of a
 * {@link Variant}. One instance is reused for every connection of a benchmark thread.
 */
abstract class Client {
    static final Duration LINGER_TIMEOUT = Duration.ofSeconds(2);
    static final CloseMode GRACEFUL = CloseMode.graceful(Duration.ofSeconds(2));
    static final CloseMode LINGER = CloseMode.linger(LINGER_TIMEOUT);

    /** Names used in parameters, tables and CSV. */
    static final String TEARDOWN = "teardown";
    static final String CHANNEL = "jdk-channel";
    static final String SOCKET = "jdk-socket";
    static final String C = "c";
    static final String TEARDOWN_FAST = "teardown-fast";
    static final String FLOOR = "floor";
    static final String FLOOR_FAST = "floor-nofionread";

    static Client create(String name) {
        switch (name) {
            case TEARDOWN:
                return new Teardown();
            case CHANNEL:
                return new Channel();
            case SOCKET:
                return new Plain();
            case TEARDOWN_FAST:
                return new TeardownFast();
            case FLOOR:
                return new Floor(true);
            case FLOOR_FAST:
                return new Floor(false);
            default:
                throw new IllegalArgumentException("unknown client '" + name + "'");
        }
    }

    abstract void connect(InetSocketAddress to) throws IOException;

    /** Writes one byte and reads the echo back. */
    abstract void exchange() throws IOException;

    /** Reads until the peer's FIN; fails if bytes arrive. */
    abstract void readToEof() throws IOException;

    /** The close path of {@code v}: only what the variant does from here on. */
    abstract void close(Variant v) throws IOException;

    /** After a failure: release whatever is open, quietly. */
    abstract void abandon();

    /** Untimed preparation before {@link #close(Variant)} in the latency benchmark (nothing by default). */
    void prepareClose(Variant v) throws IOException {}

    /** True for "Cannot assign requested address" (EADDRNOTAVAIL at connect: port exhaustion). */
    static boolean isAddressNotAvailable(IOException e) {
        return e instanceof AddressNotAvailableException
                || (e instanceof BindException && String.valueOf(e.getMessage()).contains("Cannot assign requested address"));
    }

    /** teardown's TcpSocket with direct buffers (no copy through the scratch buffer). */
    static class Teardown extends Client {
        private final ByteBuffer one = ByteBuffer.allocateDirect(1);
        private final ByteBuffer eof = ByteBuffer.allocateDirect(64);
        TcpSocket s;

        @Override
        void connect(InetSocketAddress to) throws IOException {
            s = TcpSocket.connect(to);
        }

        @Override
        void exchange() throws IOException {
            one.clear().put((byte) 'x').flip();
            s.write(one);
            one.clear();
            if (s.read(one) != 1) {
                throw new IOException("exchange: EOF instead of the echoed byte");
            }
        }

        @Override
        void readToEof() throws IOException {
            eof.clear();
            if (s.read(eof) != -1) {
                throw new IOException("expected EOF, read data");
            }
        }

        @Override
        void close(Variant v) {
            TcpSocket t = s;
            s = null;
            CloseMode plain = plainMode(v);
            if (plain != null) {
                t.close(plain);
            } else if (v == Variant.GRACEFUL) {
                t.close(GRACEFUL);
            } else if (v == Variant.LINGER) {
                t.close(LINGER);
            } else {
                throw new AssertionError(v);
            }
        }

        /** The mode of a variant that needs no argument (RELEASE, SHUTDOWN, ABORT), or null. */
        static CloseMode plainMode(Variant v) {
            switch (v) {
                case CLIENT_FIRST:
                case SERVER_FIRST:
                    return CloseMode.RELEASE;
                case SHUTDOWN:
                    return CloseMode.SHUTDOWN;
                case ABORT:
                    return CloseMode.ABORT;
                default:
                    return null;
            }
        }

        @Override
        void abandon() {
            if (s != null) {
                s.close(CloseMode.ABORT);
                s = null;
            }
        }
    }

    /** A blocking java.nio SocketChannel, opened as the JDK opens it by default (dual-stack IPv6 socket). */
    static final class Channel extends Client {
        private final ByteBuffer one = ByteBuffer.allocateDirect(1);
        private final ByteBuffer eof = ByteBuffer.allocateDirect(64);
        private SocketChannel ch;

        @Override
        void connect(InetSocketAddress to) throws IOException {
            ch = SocketChannel.open(to);
        }

        @Override
        void exchange() throws IOException {
            one.clear().put((byte) 'x').flip();
            ch.write(one);
            one.clear();
            if (ch.read(one) != 1) {
                throw new IOException("exchange: EOF instead of the echoed byte");
            }
        }

        @Override
        void readToEof() throws IOException {
            eof.clear();
            if (ch.read(eof) != -1) {
                throw new IOException("expected EOF, read data");
            }
        }

        @Override
        void close(Variant v) throws IOException {
            SocketChannel c = ch;
            ch = null;
            switch (v) {
                case CLIENT_FIRST:
                case SERVER_FIRST:
                    break;
                case ABORT:
                    c.setOption(StandardSocketOptions.SO_LINGER, 0);
                    break;
                case GRACEFUL:
                    c.shutdownOutput();
                    for (eof.clear(); c.read(eof) >= 0; eof.clear()) {
                        // discard
                    }
                    break;
                case LINGER:
                    c.setOption(StandardSocketOptions.SO_LINGER, (int) LINGER_TIMEOUT.getSeconds());
                    break;
                default:
                    throw new UnsupportedOperationException(v.label + " has no SocketChannel equivalent");
            }
            c.close();
        }

        @Override
        void abandon() {
            if (ch != null) {
                try {
                    ch.setOption(StandardSocketOptions.SO_LINGER, 0);
                } catch (IOException ignored) {
                    // closing anyway
                }
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // nothing else to do
                }
                ch = null;
            }
        }
    }

    /** A java.net.Socket (NioSocketImpl), streams fetched once per connection. */
    static final class Plain extends Client {
        private final byte[] buf = new byte[64];
        private Socket s;
        private InputStream in;
        private OutputStream out;

        @Override
        void connect(InetSocketAddress to) throws IOException {
            Socket n = new Socket();
            s = n;
            n.connect(to);
        }

        private InputStream in() throws IOException {
            if (in == null) {
                in = s.getInputStream();
            }
            return in;
        }

        @Override
        void exchange() throws IOException {
            if (out == null) {
                out = s.getOutputStream();
            }
            out.write('x');
            if (in().read() < 0) {
                throw new IOException("exchange: EOF instead of the echoed byte");
            }
        }

        @Override
        void prepareClose(Variant v) throws IOException {
            if (v == Variant.GRACEFUL) {
                in(); // a Socket user that drains has its stream already
            }
        }

        @Override
        void readToEof() throws IOException {
            if (in().read(buf) != -1) {
                throw new IOException("expected EOF, read data");
            }
        }

        @Override
        void close(Variant v) throws IOException {
            Socket c = s;
            InputStream i = v == Variant.GRACEFUL ? in() : null;
            s = null;
            switch (v) {
                case CLIENT_FIRST:
                case SERVER_FIRST:
                    break;
                case ABORT:
                    c.setSoLinger(true, 0);
                    break;
                case GRACEFUL: {
                    c.shutdownOutput();
                    while (i.read(buf) >= 0) {
                        // discard
                    }
                    break;
                }
                case LINGER:
                    c.setSoLinger(true, (int) LINGER_TIMEOUT.getSeconds());
                    break;
                default:
                    throw new UnsupportedOperationException(v.label + " has no java.net.Socket equivalent");
            }
            in = null;
            out = null;
            c.close();
        }

        @Override
        void abandon() {
            if (s != null) {
                try {
                    s.setSoLinger(true, 0);
                } catch (IOException ignored) {
                    // closing anyway
                }
                try {
                    s.close();
                } catch (IOException ignored) {
                    // nothing else to do
                }
                s = null;
                in = null;
                out = null;
            }
        }
    }
}
