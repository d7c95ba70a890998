package dev.teardown.posix;

/**
 * Platform constants, one set per supported OS. Linux values hold for x86_64 and aarch64 (the
 * asm-generic layout); macOS values are compiled in for the BSD socket layer but not tested.
 * Anything else fails at first use with {@link #requireSupported()}.
 */
public final class Os {
    private Os() {}

    /** Which platform we run on. */
    public enum Kind { LINUX, MACOS, UNSUPPORTED }

    public static final Kind KIND = detect();
    public static final boolean LINUX = KIND == Kind.LINUX;
    public static final boolean MACOS = KIND == Kind.MACOS;

    private static Kind detect() {
        String os = System.getProperty("os.name", "");
        String arch = System.getProperty("os.arch", "");
        if (os.startsWith("Linux") && (arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64"))) {
            return Kind.LINUX;
        }
        if (os.startsWith("Mac") || os.startsWith("Darwin")) {
            return Kind.MACOS;
        }
        return Kind.UNSUPPORTED;
    }

    /**
     * Throws with a message naming the platform when teardown has no constants for it, or naming what to change
     * when the binding cannot be used (native access refused, an unknown {@code dev.teardown.binding}).
     */
    public static void requireSupported() {
        Binding.requireUsable();
        if (KIND == Kind.UNSUPPORTED) {
            throw new UnsupportedOperationException("teardown supports Linux on x86_64 and aarch64 (tested) and macOS"
                    + " (compiled in, untested); this JVM runs on " + System.getProperty("os.name") + " "
                    + System.getProperty("os.arch"));
        }
    }

    private static int pick(int linux, int macos) {
        return MACOS ? macos : linux;
    }

    // address families and socket types
    public static final int AF_UNSPEC = 0;
    public static final int AF_INET = 2;
    public static final int AF_INET6 = pick(10, 30);
    public static final int AF_NETLINK = 16; // Linux only
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_RAW = pick(3, 3);
    /** Zero where the platform has no SOCK_CLOEXEC: callers then set FD_CLOEXEC right after socket(). */
    public static final int SOCK_CLOEXEC = pick(0x80000, 0);
    public static final int SOCK_NONBLOCK = pick(0x800, 0);

    // levels
    public static final int SOL_SOCKET = pick(1, 0xffff);
    public static final int IPPROTO_TCP = 6;
    public static final int IPPROTO_IPV6 = 41;

    // SOL_SOCKET options
    public static final int SO_TYPE = pick(3, 0x1008);
    public static final int SO_ERROR = pick(4, 0x1007);
    public static final int SO_REUSEADDR = pick(2, 0x4);
    public static final int SO_KEEPALIVE = pick(9, 0x8);
    public static final int SO_SNDBUF = pick(7, 0x1001);
    public static final int SO_RCVBUF = pick(8, 0x1002);
    /** On macOS SO_LINGER counts clock ticks; SO_LINGER_SEC counts seconds, which is what we want. */
    public static final int SO_LINGER = pick(13, 0x1080);
    public static final int SO_REUSEPORT = pick(15, 0x200);
    public static final int SO_ACCEPTCONN = pick(30, 0x2);
    public static final int SO_NOSIGPIPE = pick(-1, 0x1022);

    // IPPROTO_TCP options; -1 where the platform lacks one
    public static final int TCP_NODELAY = 1;
    public static final int TCP_KEEPIDLE = pick(4, 0x10);
    public static final int TCP_KEEPINTVL = pick(5, 0x101);
    public static final int TCP_KEEPCNT = pick(6, 0x102);
    public static final int TCP_LINGER2 = pick(8, -1);
    public static final int TCP_INFO = pick(11, -1);
    public static final int TCP_USER_TIMEOUT = pick(18, -1);
    public static final int IPV6_V6ONLY = pick(26, 27);

    // shutdown
    public static final int SHUT_RD = 0;
    public static final int SHUT_WR = 1;
    public static final int SHUT_RDWR = 2;

    // send/recv flags
    public static final int MSG_PEEK = 2;
    public static final int MSG_DONTWAIT = pick(0x40, 0x80);
    public static final int MSG_NOSIGNAL = pick(0x4000, 0);

    // fcntl
    public static final int F_GETFD = 1;
    public static final int F_SETFD = 2;
    public static final int F_GETFL = 3;
    public static final int F_SETFL = 4;
    public static final int F_DUPFD_CLOEXEC = pick(1030, 67);
    public static final int FD_CLOEXEC = 1;
    public static final int O_NONBLOCK = pick(0x800, 0x4);

    // poll
    public static final short POLLIN = 0x1;
    public static final short POLLPRI = 0x2;
    public static final short POLLOUT = 0x4;
    public static final short POLLERR = 0x8;
    public static final short POLLHUP = 0x10;
    public static final short POLLNVAL = 0x20;
    /** Peer shut down its writing half; 0 on macOS, which lacks it. */
    public static final short POLLRDHUP = (short) pick(0x2000, 0);

    // ioctl
    public static final long FIONREAD = pick(0x541B, 0x4004667f);
    /** Bytes in the send queue not yet acknowledged (Linux SIOCOUTQ); -1 on macOS. */
    public static final long SIOCOUTQ = pick(0x5411, -1);

    // eventfd (Linux)
    public static final int EFD_CLOEXEC = 0x80000;
    public static final int EFD_NONBLOCK = 0x800;

    // epoll (Linux)
    public static final int EPOLL_CLOEXEC = 0x80000;
    public static final int EPOLL_CTL_ADD = 1;
    public static final int EPOLL_CTL_DEL = 2;
    public static final int EPOLL_CTL_MOD = 3;
    public static final int EPOLLIN = 0x1;
    public static final int EPOLLOUT = 0x4;
    public static final int EPOLLERR = 0x8;
    public static final int EPOLLHUP = 0x10;
    public static final int EPOLLRDHUP = 0x2000;
    public static final int EPOLLONESHOT = 1 << 30;
    public static final int EPOLLET = 1 << 31;
    /** struct epoll_event is packed on x86_64 (12 bytes: events, then the 64-bit data at 4); 16 bytes elsewhere. */
    public static final int EPOLL_EVENT_SIZE = "amd64".equals(System.getProperty("os.arch"))
            || "x86_64".equals(System.getProperty("os.arch")) ? 12 : 16;
    public static final int EPOLL_DATA_OFFSET = EPOLL_EVENT_SIZE == 12 ? 4 : 8;

    // tcp_info.tcpi_state values (Linux)
    public static final int TCP_ESTABLISHED = 1;
    public static final int TCP_FIN_WAIT1 = 4;
    public static final int TCP_FIN_WAIT2 = 5;
    public static final int TCP_TIME_WAIT = 6;
    public static final int TCP_CLOSE = 7;
    public static final int TCP_CLOSE_WAIT = 8;
    public static final int TCP_LAST_ACK = 9;
    public static final int TCP_CLOSING = 11;

    /**
     * Largest SO_LINGER time in seconds the platform keeps as given: Linux takes any int (larger
     * values mean "forever"); macOS stores the time in ticks in a short (100 Hz), about 327 s.
     */
    public static final long MAX_LINGER_SECONDS = MACOS ? 327 : Integer.MAX_VALUE;
    /** TCP_LINGER2 above this is clamped by Linux (TCP_FIN_TIMEOUT_MAX). */
    public static final long MAX_LINGER2_SECONDS = 120;
    /** Linux MAX_TCP_KEEPIDLE / MAX_TCP_KEEPINTVL and MAX_TCP_KEEPCNT. */
    public static final long MAX_KEEPALIVE_SECONDS = 32767;
    public static final int MAX_KEEPCNT = 127;
}
