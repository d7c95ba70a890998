package dev.teardown.posix;

/** errno values that callers branch on, per OS, and their symbolic names. */
public final class Errno {
    private Errno() {}

    private static int pick(int linux, int macos) {
        return Os.MACOS ? macos : linux;
    }

    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int ESRCH = 3;
    public static final int EINTR = 4;
    public static final int ENXIO = 6;
    public static final int EBADF = 9;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EFAULT = 14;
    public static final int EEXIST = 17;
    public static final int ENODEV = 19;
    public static final int EINVAL = 22;
    public static final int ENFILE = 23;
    public static final int EMFILE = 24;
    public static final int ENOTTY = 25;
    public static final int EPIPE = 32;
    public static final int EAGAIN = pick(11, 35);
    public static final int EINPROGRESS = pick(115, 36);
    public static final int EALREADY = pick(114, 37);
    public static final int ENOTSOCK = pick(88, 38);
    public static final int ENOPROTOOPT = pick(92, 42);
    public static final int EPROTONOSUPPORT = pick(93, 43);
    public static final int EOPNOTSUPP = pick(95, 45);
    public static final int EAFNOSUPPORT = pick(97, 47);
    public static final int EADDRINUSE = pick(98, 48);
    public static final int EADDRNOTAVAIL = pick(99, 49);
    public static final int ENETUNREACH = pick(101, 51);
    public static final int ECONNABORTED = pick(103, 53);
    public static final int ECONNRESET = pick(104, 54);
    public static final int ENOBUFS = pick(105, 55);
    public static final int EISCONN = pick(106, 56);
    public static final int ENOTCONN = pick(107, 57);
    public static final int ETIMEDOUT = pick(110, 60);
    public static final int ECONNREFUSED = pick(111, 61);
    public static final int EHOSTUNREACH = pick(113, 65);

    private static final int[] CODES = {EPERM, ENOENT, ESRCH, EINTR, ENXIO, EBADF, ENOMEM, EACCES, EFAULT, EEXIST, ENODEV,
        EINVAL, ENFILE, EMFILE, ENOTTY, EPIPE, EAGAIN, EINPROGRESS, EALREADY, ENOTSOCK, ENOPROTOOPT,
        EPROTONOSUPPORT, EOPNOTSUPP, EAFNOSUPPORT, EADDRINUSE, EADDRNOTAVAIL, ENETUNREACH, ECONNABORTED,
        ECONNRESET, ENOBUFS, EISCONN, ENOTCONN, ETIMEDOUT, ECONNREFUSED, EHOSTUNREACH};
    private static final String[] NAMES = {"EPERM", "ENOENT", "ESRCH", "EINTR", "ENXIO", "EBADF", "ENOMEM", "EACCES",
        "EFAULT", "EEXIST", "ENODEV", "EINVAL", "ENFILE", "EMFILE", "ENOTTY", "EPIPE", "EAGAIN", "EINPROGRESS", "EALREADY",
        "ENOTSOCK", "ENOPROTOOPT", "EPROTONOSUPPORT", "EOPNOTSUPP", "EAFNOSUPPORT", "EADDRINUSE",
        "EADDRNOTAVAIL", "ENETUNREACH", "ECONNABORTED", "ECONNRESET", "ENOBUFS", "EISCONN", "ENOTCONN",
        "ETIMEDOUT", "ECONNREFUSED", "EHOSTUNREACH"};

    /** The symbolic name ("ECONNRESET"), or "errno N" for a value not listed here. */
    public static String name(int errno) {
        for (int i = 0; i < CODES.length; i++) {
            if (CODES[i] == errno) {
                return NAMES[i];
            }
        }
        return "errno " + errno;
    }

    /** {@code strerror(errno)}, or the name if libc cannot be reached. */
    public static String describe(int errno) {
        try {
            String s = Libc.strerror(errno);
            return s != null ? s : name(errno);
        } catch (Throwable t) {
            return name(errno);
        }
    }
}
