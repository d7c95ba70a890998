package dev.teardown.bench;

import dev.teardown.CloseMode;
import dev.teardown.TcpSocket;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/** teardown's TcpSocket closed with {@link TcpSocket#closeFast} (RELEASE, SHUTDOWN, ABORT): no outcome. */
final class TeardownFast extends Client {
    private final ByteBuffer one = ByteBuffer.allocateDirect(1);
    private final ByteBuffer eof = ByteBuffer.allocateDirect(64);
    private TcpSocket s;

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
        switch (v) {
            case CLIENT_FIRST:
            case SERVER_FIRST:
                t.closeFast(CloseMode.RELEASE);
                break;
            case SHUTDOWN:
                t.closeFast(CloseMode.SHUTDOWN);
                break;
            case ABORT:
                t.closeFast(CloseMode.ABORT);
                break;
            default:
                throw new IllegalArgumentException("closeFast has no " + v);
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
