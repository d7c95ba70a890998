package dev.teardown;

import dev.teardown.posix.Libc;
import dev.teardown.posix.Os;
import java.time.Duration;

/**
 * A socket option teardown can set with {@link TcpSocket#setOption} or on a listener, with its kernel
 * effect. Values are checked before they reach the kernel: out-of-range values throw
 * {@link IllegalArgumentException} naming the option, and so does a duration finer than the kernel keeps (whole
 * seconds for SO_LINGER, TCP_KEEPIDLE, TCP_KEEPINTVL and TCP_LINGER2, whole milliseconds for TCP_USER_TIMEOUT) rather
 * than be stored as another value; an option the platform lacks throws {@link UnsupportedOperationException}.
 *
 * @param <T> the Java type of the option's value
 */
public final class TcpOption<T> {
    /**
     * SO_LINGER: {@code null} is off (close returns at once, the kernel sends the rest); zero makes the
     * last close send RST; a positive time makes the last close block until sent data is acknowledged or
     * the time passes (whole seconds: a fraction is refused). Shared by every descriptor of the socket.
     */
    public static final TcpOption<Duration> SO_LINGER = new TcpOption<>("SO_LINGER", Duration.class, Os.SOL_SOCKET, Os.SO_LINGER, Codec.LINGER);
    /** SO_REUSEADDR: a listener may bind its port while old connections on it are in TIME_WAIT. */
    public static final TcpOption<Boolean> SO_REUSEADDR = bool("SO_REUSEADDR", Os.SOL_SOCKET, Os.SO_REUSEADDR);
    /** SO_REUSEPORT: several sockets bind the same address and port; the kernel spreads connections. */
    public static final TcpOption<Boolean> SO_REUSEPORT = bool("SO_REUSEPORT", Os.SOL_SOCKET, Os.SO_REUSEPORT);
    /** SO_KEEPALIVE: probe an idle connection and reset it when the peer stops answering. */
    public static final TcpOption<Boolean> SO_KEEPALIVE = bool("SO_KEEPALIVE", Os.SOL_SOCKET, Os.SO_KEEPALIVE);
    /** TCP_NODELAY: send small segments at once instead of waiting (Nagle off). */
    public static final TcpOption<Boolean> TCP_NODELAY = bool("TCP_NODELAY", Os.IPPROTO_TCP, Os.TCP_NODELAY);
    /** TCP_KEEPIDLE: idle time before the first keepalive probe, 1 s to 32767 s, whole seconds. */
    public static final TcpOption<Duration> TCP_KEEPIDLE = new TcpOption<>("TCP_KEEPIDLE", Duration.class, Os.IPPROTO_TCP, Os.TCP_KEEPIDLE, Codec.KEEPALIVE_SECONDS);
    /** TCP_KEEPINTVL: time between keepalive probes, 1 s to 32767 s, whole seconds. */
    public static final TcpOption<Duration> TCP_KEEPINTVL = new TcpOption<>("TCP_KEEPINTVL", Duration.class, Os.IPPROTO_TCP, Os.TCP_KEEPINTVL, Codec.KEEPALIVE_SECONDS);
    /** TCP_KEEPCNT: unanswered probes before the connection is reset, 1 to 127. */
    public static final TcpOption<Integer> TCP_KEEPCNT = new TcpOption<>("TCP_KEEPCNT", Integer.class, Os.IPPROTO_TCP, Os.TCP_KEEPCNT, Codec.KEEPCNT);
    /**
     * TCP_USER_TIMEOUT: how long sent data may stay unacknowledged before the kernel drops the
     * connection with ETIMEDOUT (milliseconds; zero is the system default). Linux only.
     */
    public static final TcpOption<Duration> TCP_USER_TIMEOUT = new TcpOption<>("TCP_USER_TIMEOUT", Duration.class, Os.IPPROTO_TCP, Os.TCP_USER_TIMEOUT, Codec.MILLIS);
    /**
     * TCP_LINGER2: lifetime of this socket's orphaned FIN_WAIT2 state after it is closed, at most
     * 120 s; zero means net.ipv4.tcp_fin_timeout. Linux only.
     */
    public static final TcpOption<Duration> TCP_LINGER2 = new TcpOption<>("TCP_LINGER2", Duration.class, Os.IPPROTO_TCP, Os.TCP_LINGER2, Codec.LINGER2);
    /** SO_RCVBUF: receive buffer size in bytes; Linux doubles the value set and reports the doubled size. */
    public static final TcpOption<Integer> SO_RCVBUF = new TcpOption<>("SO_RCVBUF", Integer.class, Os.SOL_SOCKET, Os.SO_RCVBUF, Codec.BUFFER);
    /** SO_SNDBUF: send buffer size in bytes; Linux doubles the value set and reports the doubled size. */
    public static final TcpOption<Integer> SO_SNDBUF = new TcpOption<>("SO_SNDBUF", Integer.class, Os.SOL_SOCKET, Os.SO_SNDBUF, Codec.BUFFER);

    private final String name;
    private final Class<T> type;
    private final int level;
    private final int optname;
    private final Codec codec;

    private TcpOption(String name, Class<T> type, int level, int optname, Codec codec) {
        this.name = name;
        this.type = type;
        this.level = level;
        this.optname = optname;
        this.codec = codec;
    }

    private static TcpOption<Boolean> bool(String name, int level, int optname) {
        return new TcpOption<>(name, Boolean.class, level, optname, Codec.BOOL);
    }

    /** The option's C name. */
    public String name() {
        return name;
    }

    /** The Java type of its value. */
    public Class<T> type() {
        return type;
    }

    @Override
    public String toString() {
        return name;
    }

    /** Checks the value and encodes it for setsockopt; returns the byte length. */
    int encode(T value, int[] out) {
        if (optname < 0) {
            throw new UnsupportedOperationException(name + " is not available on " + Os.KIND);
        }
        if (value == null && codec != Codec.LINGER) {
            throw new IllegalArgumentException(name + " value must not be null");
        }
        if (value != null && !type.isInstance(value)) {
            throw new IllegalArgumentException(name + " takes a " + type.getSimpleName() + ", got " + value.getClass().getName());
        }
        return codec.encode(name, value, out);
    }

    int set(int fd, T value) {
        int[] v = new int[2];
        int len = encode(value, v);
        return Libc.setsockopt(fd, level, optname, v, len) < 0 ? Libc.errno() : 0;
    }

    /** Reads the option; on failure returns null and puts errno in {@code err[0]}. */
    T get(int fd, int[] err) {
        if (optname < 0) {
            throw new UnsupportedOperationException(name + " is not available on " + Os.KIND);
        }
        int[] v = new int[2];
        int[] len = {codec == Codec.LINGER ? 8 : 4};
        if (Libc.getsockopt(fd, level, optname, v, len) < 0) {
            err[0] = Libc.errno();
            return null;
        }
        return type.cast(codec.decode(v));
    }

    private enum Codec {
        BOOL, LINGER, KEEPALIVE_SECONDS, KEEPCNT, MILLIS, LINGER2, BUFFER;

        int encode(String name, Object value, int[] out) {
            switch (this) {
                case BOOL:
                    out[0] = ((Boolean) value) ? 1 : 0;
                    return 4;
                case LINGER:
                    if (value == null) {
                        out[0] = 0;
                        out[1] = 0;
                    } else {
                        long s = wholeSeconds(name, (Duration) value, 0, Os.MAX_LINGER_SECONDS);
                        out[0] = 1;
                        out[1] = (int) s;
                    }
                    return 8;
                case KEEPALIVE_SECONDS:
                    out[0] = (int) wholeSeconds(name, (Duration) value, 1, Os.MAX_KEEPALIVE_SECONDS);
                    return 4;
                case LINGER2:
                    out[0] = (int) wholeSeconds(name, (Duration) value, 0, Os.MAX_LINGER2_SECONDS);
                    return 4;
                case MILLIS: {
                    Duration d = (Duration) value;
                    Args.nonNegativeNanos(name, d);
                    if (d.getNano() % 1_000_000 != 0) {
                        throw new IllegalArgumentException(name + " takes whole milliseconds (the kernel keeps"
                                + " milliseconds), got " + d);
                    }
                    long ms = d.toMillis();
                    if (ms > Integer.MAX_VALUE) {
                        throw new IllegalArgumentException(name + " must be at most " + Integer.MAX_VALUE + " ms, got " + d);
                    }
                    out[0] = (int) ms;
                    return 4;
                }
                case KEEPCNT: {
                    int n = (Integer) value;
                    if (n < 1 || n > Os.MAX_KEEPCNT) {
                        throw new IllegalArgumentException(name + " must be in 1.." + Os.MAX_KEEPCNT + ", got " + n);
                    }
                    out[0] = n;
                    return 4;
                }
                case BUFFER: {
                    int n = (Integer) value;
                    if (n <= 0) {
                        throw new IllegalArgumentException(name + " must be positive, got " + n);
                    }
                    out[0] = n;
                    return 4;
                }
                default:
                    throw new AssertionError(this);
            }
        }

        Object decode(int[] v) {
            switch (this) {
                case BOOL:
                    return v[0] != 0;
                case LINGER:
                    return v[0] == 0 ? null : Duration.ofSeconds(v[1]);
                case KEEPALIVE_SECONDS:
                    return Duration.ofSeconds(v[0]);
                case LINGER2:
                    return Duration.ofSeconds(Math.max(0, v[0]));
                case MILLIS:
                    return Duration.ofMillis(v[0] & 0xffffffffL);
                default:
                    return v[0];
            }
        }

        private static long wholeSeconds(String name, Duration d, long min, long max) {
            Args.nonNegativeNanos(name, d);
            if (d.getNano() != 0) {
                throw new IllegalArgumentException(name + " takes whole seconds (the kernel keeps seconds), got " + d
                        + ": give " + Duration.ofSeconds(d.getSeconds()) + " or " + Duration.ofSeconds(d.getSeconds() + 1));
            }
            long s = d.getSeconds();
            if (s < min || s > max) {
                throw new IllegalArgumentException(name + " must be between " + min + " s and " + max + " s, got " + d);
            }
            return s;
        }
    }
}
