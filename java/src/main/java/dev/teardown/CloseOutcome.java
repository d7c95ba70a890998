package dev.teardown;

import java.time.Duration;

/**
 * What a {@link TcpSocket#close(CloseMode)} did and what teardown knows about its effect on the
 * wire. teardown counts the references it made: the original descriptor, its {@link TcpSocket#dup()
 * dups} and the children it handed the socket to ({@link dev.teardown.spawn.ChildProcess}). When a
 * RELEASE drops the last of those, teardown also looks for holders it did not create if there is a
 * reason to suspect one (the descriptor had lost close-on-exec, so a child may have inherited it) or
 * when {@link dev.teardown.inspect.AllocationSites allocation tracking} is on; it then reports
 * {@link Sent#NOTHING} with a detail such as {@code FIN not sent: still held by pid 4242 fd 5 (python3
 * worker.py)}. A number dup'ed behind teardown's back while close-on-exec stayed set is not looked for
 * on the fast path, so a reported FIN is what the kernel sends if no such holder exists. The close-on-exec
 * check costs one fcntl per such RELEASE; {@code -Ddev.teardown.foreignHolderCheck=false} turns it off.
 */
public final class CloseOutcome {
    /** What the close put on the wire. */
    public enum Sent {
        /** Nothing: only a reference was dropped (others remain), or the FIN had gone out earlier. */
        NOTHING,
        /** A FIN: the orderly end of our direction. */
        FIN,
        /** An RST: the connection is reset; no TIME_WAIT is left. */
        RST,
        /** A FIN (now or earlier, from shutdownOutput) and then an RST. */
        FIN_THEN_RST
    }

    private final CloseMode mode;
    private final Sent sent;
    private final int referencesLeft;
    private final long bytesDrained;
    private final boolean deadlineExpired;
    private final boolean drainLimitReached;
    private final int unreadBytesDiscarded;
    private final long elapsedNanos;
    private final String detail;
    private final boolean alreadyClosed;

    CloseOutcome(CloseMode mode, Sent sent, int referencesLeft, long bytesDrained, boolean deadlineExpired,
            boolean drainLimitReached, int unreadBytesDiscarded, long elapsedNanos, String detail,
            boolean alreadyClosed) {
        this.mode = mode;
        this.sent = sent;
        this.referencesLeft = referencesLeft;
        this.bytesDrained = bytesDrained;
        this.deadlineExpired = deadlineExpired;
        this.drainLimitReached = drainLimitReached;
        this.unreadBytesDiscarded = unreadBytesDiscarded;
        this.elapsedNanos = elapsedNanos;
        this.detail = detail;
        this.alreadyClosed = alreadyClosed;
    }

    static CloseOutcome alreadyClosed(CloseMode mode, int referencesLeft) {
        return new CloseOutcome(mode, Sent.NOTHING, referencesLeft, 0, false, false, 0, 0,
                "already closed: this call did nothing", true);
    }

    /** The mode that was applied. */
    public CloseMode mode() {
        return mode;
    }

    /** What went on the wire because of this close. */
    public Sent sent() {
        return sent;
    }

    /** True if an RST was sent. */
    public boolean rstSent() {
        return sent == Sent.RST || sent == Sent.FIN_THEN_RST;
    }

    /** Descriptors of this socket that teardown knows are still open after this close. */
    public int referencesLeft() {
        return referencesLeft;
    }

    /** Bytes read and discarded while draining (graceful close). */
    public long bytesDrained() {
        return bytesDrained;
    }

    /** True if graceful or linger ran out of time and fell back to RST. */
    public boolean deadlineExpired() {
        return deadlineExpired;
    }

    /** True if graceful close hit its byte limit and fell back to RST. */
    public boolean drainLimitReached() {
        return drainLimitReached;
    }

    /** Bytes of unread input the kernel discarded at close (the reason such a close sends RST). */
    public int unreadBytesDiscarded() {
        return unreadBytesDiscarded;
    }

    /** Wall time of the close call, including any draining or lingering. */
    public Duration elapsed() {
        return Duration.ofNanos(elapsedNanos);
    }

    /** Elapsed time in nanoseconds. */
    public long elapsedNanos() {
        return elapsedNanos;
    }

    /** True if the handle was already closed and this call did nothing. */
    public boolean wasAlreadyClosed() {
        return alreadyClosed;
    }

    /** One sentence saying what happened and why, e.g. "FIN not sent: 1 other reference still open". */
    public String detail() {
        return detail;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("CloseOutcome[").append(mode).append(": ").append(sent)
                .append(", references left ").append(referencesLeft);
        if (bytesDrained > 0) {
            b.append(", drained ").append(bytesDrained).append(" bytes");
        }
        if (deadlineExpired) {
            b.append(", deadline expired");
        }
        if (drainLimitReached) {
            b.append(", drain limit reached");
        }
        if (unreadBytesDiscarded > 0) {
            b.append(", ").append(unreadBytesDiscarded).append(" unread bytes discarded");
        }
        return b.append(", ").append(elapsedNanos / 1000).append(" µs: ").append(detail).append(']').toString();
    }
}
