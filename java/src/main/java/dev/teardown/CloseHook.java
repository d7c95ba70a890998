package dev.teardown;

import dev.teardown.posix.Libc;
import java.util.concurrent.atomic.AtomicLong;

/** The one place teardown calls close(2) on a socket it owns, so tests can count real closes. */
final class CloseHook {
    private CloseHook() {}

    private static final AtomicLong CLOSES = new AtomicLong();

    static int close(int fd) {
        CLOSES.incrementAndGet();
        return Libc.close(fd);
    }

    /** As {@link #close(int)}, errno not kept (see {@link Libc#closeNoErrno}). */
    static void closeQuietly(int fd) {
        CLOSES.incrementAndGet();
        Libc.closeNoErrno(fd);
    }

    /** How many close(2) calls teardown has made on descriptors it owned. */
    static long count() {
        return CLOSES.get();
    }
}
