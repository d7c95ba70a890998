package dev.teardown;

import dev.teardown.internal.ListenerObserver;
import dev.teardown.posix.Errno;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * A listener's pause after an accept that failed for want of descriptors or kernel memory (EMFILE, ENFILE,
 * ENOBUFS, ENOMEM). The connection stays queued, so an immediate retry fails again: a loop that only catches and
 * retries spun at 300k-500k failed accepts a second. The pause starts at {@value #FIRST_MILLIS} ms and doubles
 * with each consecutive failure up to {@value #MAX_MILLIS} ms (Go's net/http pattern; Tomcat and Netty build in
 * the same), and is back to the start after one successful accept. The calling thread sleeps (a virtual thread
 * unmounts), holding nothing of the listener, and wakes early when the listener is closed.
 */
final class AcceptBackOff {
    static final long FIRST_MILLIS = 5;
    static final long MAX_MILLIS = 1000;
    /** How often a pausing thread looks whether its listener was closed. */
    private static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final LongAdder TOTAL = new LongAdder();

    private final AtomicInteger consecutive = new AtomicInteger();
    private final LongAdder count = new LongAdder();
    /** Found when the listener is made: under EMFILE the service loader could not open its files. */
    private final ListenerObserver observer = ListenerObserver.get();

    static boolean appliesTo(int errno) {
        return errno == Errno.EMFILE || errno == Errno.ENFILE || errno == Errno.ENOBUFS || errno == Errno.ENOMEM;
    }

    /** The pause after the n-th consecutive failure (n from 1). */
    static long pauseNanos(int n) {
        long ms = n >= 10 ? MAX_MILLIS : Math.min(MAX_MILLIS, FIRST_MILLIS << (n - 1));
        return TimeUnit.MILLISECONDS.toNanos(ms);
    }

    static long total() {
        return TOTAL.sum();
    }

    long count() {
        return count.sum();
    }

    void succeeded() {
        if (consecutive.get() != 0) {
            consecutive.set(0);
        }
    }

    /**
     * Counts the failure, reports it (JFR through the inspect package), then sleeps the pause, at most
     * {@code maxNanos} (a timed accept's timeout), less if {@code listener} is closed meanwhile.
     */
    void pause(TcpListener listener, InetSocketAddress local, TcpException failure, long maxNanos) {
        int n = consecutive.incrementAndGet();
        long pause = Math.min(pauseNanos(n), maxNanos);
        count.increment();
        TOTAL.increment();
        try {
            observer.acceptBackedOff(local, failure.errnoName(), pause, n);
        } catch (RuntimeException | LinkageError e) {
            // reporting is best effort: a class that cannot be loaded without a free descriptor must not end accept
        }
        long end = System.nanoTime() + pause;
        try {
            for (long left = pause; left > 0 && listener.isOpen(); left = end - System.nanoTime()) {
                TimeUnit.NANOSECONDS.sleep(Math.min(left, SLICE_NANOS));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the caller's loop sees it; the failure is thrown as it is
        }
    }
}
