package dev.teardown;

import java.time.Duration;

/** When a wait must end: a point on {@link System#nanoTime()}'s clock, or none. Exact to the nanosecond it parks. */
final class Deadline {
    /** No limit. */
    static final Deadline NONE = new Deadline(0, -1);

    private final long at;
    private final long total;

    private Deadline(long at, long total) {
        this.at = at;
        this.total = total;
    }

    /** {@code nanos} from now; negative: {@link #NONE}. */
    static Deadline after(long nanos) {
        return nanos < 0 ? NONE : new Deadline(System.nanoTime() + nanos, nanos);
    }

    /** {@code nanos} after {@code startNanos} (a {@link System#nanoTime()} reading). */
    static Deadline after(long startNanos, long nanos) {
        return new Deadline(startNanos + nanos, nanos);
    }

    boolean isNone() {
        return total < 0;
    }

    /** Nanoseconds left (never negative), or {@link Long#MAX_VALUE} for none. */
    long remaining() {
        if (total < 0) {
            return Long.MAX_VALUE;
        }
        return Math.max(0, at - System.nanoTime());
    }

    boolean passed() {
        return total >= 0 && at - System.nanoTime() <= 0;
    }

    /** A poll(2) timeout: -1 for none, otherwise the time left rounded up to a whole millisecond. */
    int pollMillis() {
        if (total < 0) {
            return -1;
        }
        long left = remaining();
        return (int) Math.min(Integer.MAX_VALUE, (left + 999_999) / 1_000_000);
    }

    /** The length this deadline was set with, for messages. */
    Duration length() {
        return Duration.ofNanos(Math.max(0, total));
    }
}
