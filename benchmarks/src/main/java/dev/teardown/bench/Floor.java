package dev.teardown.bench;

import dev.teardown.posix.Buffers;
import dev.teardown.posix.Libc;
import dev.teardown.posix.Os;
import dev.teardown.posix.Sockaddr;
import dev.teardown.posix.SocketQueues;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The floor: a bare loop in the same JVM making exactly the system calls teardown's close makes, through the
 * binding this JVM uses (JNA or FFM, {@code Libc}), with none of teardown's code (no descriptor, no use count, no
 * outcome). With {@code full} the calls of {@code close(mode)} on a connection with nothing unread (strace of
 * {@code c47159d}): RELEASE fcntl(F_GETFD), poll, close; SHUTDOWN shutdown, poll (POLLIN|POLLHUP after our own
 * shutdown), ioctl(FIONREAD), getsockopt(TCP_INFO), close; ABORT setsockopt(SO_LINGER {1,0}), poll, ioctl(SIOCOUTQ),
 * close. Without: those of {@code closeFast(mode)} (no poll, FIONREAD, TCP_INFO, SIOCOUTQ or fcntl).
 */
final class Floor extends Client {
    private final boolean full;
    private final ByteBuffer mem = ByteBuffer.allocateDirect(Sockaddr.MAX_LEN + 8).order(ByteOrder.nativeOrder());
    private final long sa = Libc.address(mem);
    private final long out = sa + Sockaddr.MAX_LEN;
    private final byte[] addr = new byte[Sockaddr.MAX_LEN];
    private InetSocketAddress encoded;
    private int len;
    private int fd = -1;

    Floor(boolean full) {
        this.full = full;
    }

    @Override
    void connect(InetSocketAddress to) throws IOException {
        if (!to.equals(encoded)) {
            len = Sockaddr.encode(to, addr);
            mem.put(0, addr, 0, len);
            encoded = to;
        }
        int s = Libc.socket(Sockaddr.family(to.getAddress()), Os.SOCK_STREAM | Os.SOCK_CLOEXEC, 0);
        if (s < 0) {
            throw new IOException("socket: errno " + Libc.errno());
        }
        if (Libc.connect(s, sa, len) < 0) {
            int e = Libc.errno();
            Libc.close(s);
            throw new IOException("connect: errno " + e);
        }
        fd = s;
    }

    @Override
    void exchange() throws IOException {
        throw new UnsupportedOperationException("the floor measures the close path only");
    }

    @Override
    void readToEof() throws IOException {
        throw new UnsupportedOperationException("the floor measures the close path only");
    }

    @Override
    void close(Variant v) throws IOException {
        int s = fd;
        fd = -1;
        switch (v) {
            case CLIENT_FIRST:
                if (full) {
                    Libc.fcntl(s, Os.F_GETFD, 0);
                    pollNow(s);
                }
                break;
            case SHUTDOWN:
                Libc.shutdown(s, Os.SHUT_RDWR);
                if (full) {
                    pollNow(s);
                    Libc.ioctl(s, Os.FIONREAD, out);
                    SocketQueues.tcpState(s);
                }
                break;
            case ABORT:
                Libc.setsockopt(s, Os.SOL_SOCKET, Os.SO_LINGER, Buffers.LINGER_ZERO, 8);
                if (full) {
                    pollNow(s);
                    Libc.ioctl(s, Os.SIOCOUTQ, out);
                }
                break;
            default:
                throw new IllegalArgumentException("the floor has no " + v);
        }
        Libc.close(s);
    }

    /** poll(2) with timeout 0 for POLLIN|POLLPRI, on a struct pollfd at {@code out}, as the close's probe. */
    private void pollNow(int s) {
        mem.putInt(Sockaddr.MAX_LEN, s);
        mem.putInt(Sockaddr.MAX_LEN + 4, Os.POLLIN | Os.POLLPRI);
        Libc.poll(out, 1, 0);
    }

    @Override
    void abandon() {
        if (fd >= 0) {
            Libc.close(fd);
            fd = -1;
        }
    }
}
