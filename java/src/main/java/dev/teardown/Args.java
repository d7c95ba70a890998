package dev.teardown;

import java.net.InetSocketAddress;
import java.time.Duration;

/** Argument checks that name the argument at fault. */
final class Args {
    private Args() {}

    static <T> T notNull(String name, T value) {
        if (value == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        return value;
    }

    /** The duration in nanoseconds; rejects null, negative, and durations that overflow a long. */
    static long nonNegativeNanos(String name, Duration d) {
        notNull(name, d);
        if (d.isNegative()) {
            throw new IllegalArgumentException(name + " must not be negative, got " + d);
        }
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(name + " is too large (at most about 292 years), got " + d);
        }
    }

    /** A resolved address with a port in 0..65535 ({@link InetSocketAddress} checks the range itself). */
    static InetSocketAddress resolved(String name, InetSocketAddress a, boolean portZeroAllowed) {
        notNull(name, a);
        if (a.isUnresolved() || a.getAddress() == null) {
            throw new IllegalArgumentException(name + " is unresolved: " + a.getHostString());
        }
        if (!portZeroAllowed && a.getPort() == 0) {
            throw new IllegalArgumentException(name + " has port 0, which cannot be connected to: " + a);
        }
        return a;
    }

    static int port(String name, int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(name + " must be in 0..65535, got " + port);
        }
        return port;
    }
}
