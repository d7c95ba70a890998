package dev.teardown;

import dev.teardown.posix.Libc;
import dev.teardown.posix.Os;
import dev.teardown.posix.PeerPoll;
import dev.teardown.posix.Sockaddr;
import java.net.InetSocketAddress;

/** Socket creation and the option and name calls shared by {@link TcpSocket} and {@link TcpListener}. */
final class Sockets {
    private Sockets() {}

    /**
     * True if the peer has sent FIN or reset the connection (poll with POLLRDHUP); the caller holds a use of
     * {@code fd}. Linux only.
     */
    static boolean isPeerClosed(int fd) throws TcpException {
        if (Os.POLLRDHUP == 0) {
            throw new UnsupportedOperationException("POLLRDHUP is Linux-only; this is " + Os.KIND);
        }
        int r = PeerPoll.revents(fd);
        if (r < 0) {
            throw TcpException.of("poll(POLLRDHUP)", -r);
        }
        return PeerPoll.peerClosed(r);
    }

    /** A new close-on-exec TCP socket of {@code family}. */
    static int open(int family, String context) throws TcpException {
        return open(family, context, "");
    }

    /**
     * As {@link #open(int, String)}, the context being {@code prefix + subject}, built only if it is needed
     * (a connect loop should not format an address it will never print).
     */
    static int open(int family, String prefix, Object subject) throws TcpException {
        int fd = Libc.socket(family, Os.SOCK_STREAM | Os.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw TcpException.of("socket (" + prefix + subject + ")", Libc.errno());
        }
        if ((Os.SOCK_CLOEXEC == 0 && Libc.fcntl(fd, Os.F_SETFD, Os.FD_CLOEXEC) < 0)
                || (Os.SO_NOSIGPIPE >= 0 && Libc.setsockopt(fd, Os.SOL_SOCKET, Os.SO_NOSIGPIPE, new int[] {1}, 4) < 0)) {
            int e = Libc.errno();
            closeRaw(fd);
            throw TcpException.of("socket set-up (" + prefix + subject + ")", e);
        }
        return fd;
    }

    static InetSocketAddress name(Descriptor d, boolean local, String call) throws TcpException {
        try (Descriptor.Use u = d.acquire(call)) {
            int fd = u.fd();
            byte[] sa = new byte[Sockaddr.MAX_LEN];
            int[] len = {sa.length};
            int rc = local ? Libc.getsockname(fd, sa, len) : Libc.getpeername(fd, sa, len);
            if (rc < 0) {
                throw TcpException.of(call, Libc.errno());
            }
            return Sockaddr.decode(sa, len[0]);
        }
    }

    static <T> void setOption(Descriptor d, TcpOption<T> option, T value) throws TcpException {
        int[] v = new int[2];
        option.encode(value, v); // validate before taking the fd
        try (Descriptor.Use u = d.acquire("setsockopt " + option)) {
            int e = option.set(u.fd(), value);
            if (e != 0) {
                throw TcpException.of("setsockopt " + option, e);
            }
        }
    }

    static <T> T getOption(Descriptor d, TcpOption<T> option) throws TcpException {
        try (Descriptor.Use u = d.acquire("getsockopt " + option)) {
            int[] err = {0};
            T v = option.get(u.fd(), err);
            if (err[0] != 0) {
                throw TcpException.of("getsockopt " + option, err[0]);
            }
            return v;
        }
    }

    /** Closes a descriptor that never got a handle (a failed setup). */
    static void closeRaw(int fd) {
        CloseHook.close(fd);
    }
}
