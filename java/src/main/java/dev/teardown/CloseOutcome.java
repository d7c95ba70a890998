package dev.teardown;

import dev.teardown.posix.Errno;
import java.time.Duration;

/**
 * What a close did and what teardown knows about its effect on the wire. The close sequence records
 * facts (FIN sent now or earlier, why an RST went out, bytes drained or discarded, references left);
 * {@link #sent()} and {@link #detail()} are derived from them.
 *
 * <p>teardown counts the references it made: the original descriptor, its {@link TcpSocket#dup()
 * dups} and the children it handed the socket to ({@link dev.teardown.spawn.ChildProcess}). When a
 * RELEASE drops the last of those, teardown also looks for holders it did not create if there is a
 * reason to suspect one (the descriptor had lost close-on-exec, so a child may have inherited it) or
 * when {@link dev.teardown.inspect.AllocationSites allocation tracking} is on; it then reports
 * {@link Sent#NOTHING} with a detail such as {@code FIN not sent: still held by pid 4242 fd 5 (python3
 * worker.py)}. A number dup'ed behind teardown's back while close-on-exec stayed set is not looked for
 * on the fast path, so a reported FIN is what the kernel sends if no such holder exists. The close-on-exec
 * check costs one fcntl per such RELEASE; {@code -Ddev.teardown.foreignHolderCheck=false} turns it off.
 *
 * <p>A count that could not be known (for a socket teardown does not own, see
 * {@code dev.teardown.jdk.JdkSockets}) is {@code -1}, and the detail says why.
 *
 * <p>Reading an outcome:
 * <!-- example: dev.teardown.snippets.CloseSnippets#close, a copy JavadocExamplesTest keeps equal to that compiled, tested region -->
 * <pre>
 * TcpSocket socket = TcpSocket.connect(server);
 * socket.write(ByteBuffer.wrap("PING\n".getBytes(StandardCharsets.US_ASCII)));
 * // FIN now, read what the peer still sends (up to 2 s), then close: nothing it sent is lost
 * CloseOutcome outcome = socket.close(CloseMode.graceful(Duration.ofSeconds(2)));
 * switch (outcome.sent()) {
 *     case FIN -&gt; System.out.println("orderly: " + outcome.detail());
 *     case RST, FIN_THEN_RST -&gt; System.out.println("reset: " + outcome.detail());
 *     case NOTHING -&gt; System.out.println("another holder keeps it open: " + outcome.referencesLeft());
 * }
 * </pre>
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

    /** Why an RST went out (or, with other references open, will go out at the last close). */
    enum Rst {
        /** ABORT: SO_LINGER {1,0} set by this close. */
        ABORT("RST sent by SO_LINGER {1,0}"),
        /** SO_LINGER {1,0} had been set earlier with setOption. */
        LINGER_ZERO_SET("RST sent: SO_LINGER was set to zero"),
        /** Unread input was queued at the last close(2). */
        UNREAD(null),
        /** graceful or linger ran out of time. */
        DEADLINE("RST sent: the deadline passed"),
        /** graceful drained its byte limit and the peer still sent. */
        DRAIN_LIMIT("RST sent: the drain limit was reached");

        final String text;

        Rst(String text) {
            this.text = text;
        }
    }

    /** {@link #socketKind()} of teardown's own {@link TcpSocket}. */
    public static final String TEARDOWN = "teardown";

    private final CloseMode mode;
    private final String socketKind;
    private final int referencesLeft;
    private final boolean finNow;
    private final boolean finEarlier;
    private final Rst rst;
    private final boolean alreadyEnded;
    private final boolean peerFin;
    private final int drainErrno;
    private final long bytesDrained;
    private final int unreadBytesDiscarded;
    private final long unsentBytesDiscarded;
    private final long elapsedNanos;
    private final String heldBy;
    private final String children;
    private final String note;
    private final boolean alreadyClosed;
    private final boolean lingerAcked;
    private final boolean finByOwner;
    private final boolean endedAtLastClose;
    private final boolean finBeforeLastClose;
    private final boolean endedInOrder;
    private String detail;

    private CloseOutcome(Recorder r, long elapsedNanos) {
        this.mode = r.mode;
        this.socketKind = r.socketKind;
        this.referencesLeft = r.referencesLeft;
        this.finNow = r.finNow;
        this.finEarlier = r.finEarlier;
        this.rst = r.rst;
        this.alreadyEnded = r.alreadyEnded;
        this.peerFin = r.peerFin;
        this.drainErrno = r.drainErrno;
        this.bytesDrained = r.drained;
        this.unreadBytesDiscarded = r.unread;
        this.unsentBytesDiscarded = r.unsent;
        this.elapsedNanos = elapsedNanos;
        this.heldBy = r.heldBy;
        this.children = r.children;
        this.note = r.note;
        this.alreadyClosed = r.alreadyClosed;
        this.lingerAcked = r.lingerAcked;
        this.finByOwner = r.finByOwner;
        this.endedAtLastClose = r.endedAtLastClose;
        this.finBeforeLastClose = r.finBeforeLastClose;
        this.endedInOrder = r.endedInOrder;
    }

    /** The outcome of closing a handle that was already closed: nothing was done. */
    static CloseOutcome alreadyClosed(CloseMode mode, int referencesLeft) {
        Recorder r = new Recorder(mode, 0);
        r.referencesLeft = referencesLeft;
        r.alreadyClosed = true;
        return new CloseOutcome(r, 0);
    }

    /**
     * Starts recording the facts of a close that teardown runs on a socket it does not own (a JDK channel, a
     * Netty channel). Applications do not need this: every teardown close returns its outcome.
     *
     * @param mode the mode being applied
     * @param startNanos {@link System#nanoTime()} when the close began
     */
    public static Recorder record(CloseMode mode, long startNanos) {
        return new Recorder(Args.notNull("mode", mode), startNanos);
    }

    /**
     * The facts of one close, filled in by the close sequence as it goes. Not thread-safe; one per close.
     * {@link #done()} freezes them into a {@link CloseOutcome}.
     */
    public static final class Recorder {
        final CloseMode mode;
        final long start;
        String socketKind = TEARDOWN;
        int referencesLeft;
        boolean finByOwner;
        boolean endedAtLastClose;
        boolean finBeforeLastClose;
        boolean endedInOrder;
        boolean finNow;
        boolean finEarlier;
        Rst rst;
        boolean alreadyEnded;
        boolean peerFin;
        int drainErrno;
        long drained;
        int unread;
        long unsent;
        String heldBy;
        String children;
        String note;
        boolean alreadyClosed;
        boolean lingerAcked;

        Recorder(CloseMode mode, long start) {
            this.mode = mode;
            this.start = start;
        }

        /** This close sent FIN (shutdown, or the last close(2) of a socket). */
        public Recorder finSent() {
            finNow = true;
            return this;
        }

        /**
         * At the last close(2) the kernel had already moved the socket to CLOSE (a reset, a timeout, or TIME_WAIT
         * after both FINs): that close sent nothing, whatever unread input or SO_LINGER would otherwise have caused.
         */
        Recorder endedBeforeLastClose() {
            endedAtLastClose = true;
            finBeforeLastClose = finNow;
            return this;
        }

        /** The kind of socket closed ({@link SocketOwner#kind()}); {@link #TEARDOWN} unless set. */
        Recorder socketKind(String kind) {
            socketKind = kind;
            return this;
        }

        /** The owner's own close sent FIN (a JDK channel registered with a Selector shuts its output at close). */
        Recorder finSentByOwner() {
            finNow = true;
            finByOwner = true;
            return this;
        }

        /**
         * The FIN (of this close or an earlier shutdownOutput) was still queued behind {@code notSent} bytes never
         * transmitted when the RST went out: it never left.
         */
        Recorder finNeverLeft(long notSent) {
            finNow = false;
            finEarlier = false;
            note("the FIN, queued behind " + (notSent - 1) + " bytes not yet transmitted, never left: the RST dropped it");
            return this;
        }

        /** FIN had gone out before this close (an earlier shutdownOutput). */
        public Recorder finSentEarlier() {
            finEarlier = true;
            return this;
        }

        /** RST because this close set SO_LINGER {1,0} (ABORT). */
        public Recorder rstByAbort() {
            rst = Rst.ABORT;
            return this;
        }

        /** RST because SO_LINGER {1,0} was set before this close. */
        public Recorder rstByLingerZeroSetEarlier() {
            rst = Rst.LINGER_ZERO_SET;
            return this;
        }

        /** RST because {@code unreadBytes} of input were still queued at the last close(2). */
        public Recorder rstByUnreadInput(int unreadBytes) {
            rst = Rst.UNREAD;
            unread = unreadBytes;
            return this;
        }

        /** RST because the deadline of graceful or linger passed. */
        public Recorder rstAtDeadline() {
            rst = Rst.DEADLINE;
            return this;
        }

        /** RST because graceful's drain limit was reached while the peer still sent. */
        public Recorder rstAtDrainLimit() {
            rst = Rst.DRAIN_LIMIT;
            return this;
        }

        /** Unread input discarded by an RST that has another cause (ABORT, a deadline). */
        public Recorder unreadDiscarded(int unreadBytes) {
            unread = unreadBytes;
            return this;
        }

        /** Bytes we had written that the peer had not acknowledged, dropped by the RST (SIOCOUTQ). */
        public Recorder unsentDiscarded(long bytes) {
            unsent = bytes;
            return this;
        }

        /**
         * With {@link #alreadyEnded()}: no reset is pending on the socket, so it ended in order before this close (both
         * FINs exchanged, the connection in TIME_WAIT) or its reset was already read by its owner.
         */
        Recorder endedInOrder() {
            endedInOrder = true;
            return this;
        }

        /** The connection had already been reset by the peer (or timed out): nothing could be sent. */
        public Recorder alreadyEnded() {
            alreadyEnded = true;
            return this;
        }

        /** graceful: bytes read and discarded while draining. */
        public Recorder drained(long bytes) {
            drained = bytes;
            return this;
        }

        /** graceful: the peer's FIN arrived. */
        public Recorder peerFinReceived() {
            peerFin = true;
            return this;
        }

        /** graceful: the drain ended with this errno from the peer (a reset, say). */
        public Recorder drainEndedWith(int errno) {
            drainErrno = errno;
            return this;
        }

        /** Descriptors still open after this close ({@code -1}: not known). */
        public Recorder referencesLeft(int n) {
            referencesLeft = n;
            return this;
        }

        /** linger: all data, FIN included, was acknowledged before the close. */
        Recorder lingerAcknowledged() {
            lingerAcked = true;
            return this;
        }

        /** A holder teardown did not create still holds the socket ("still held by pid 42 fd 5 (...)"). */
        Recorder heldBy(String who) {
            heldBy = who;
            return this;
        }

        /** The children that hold the remaining references, for the detail ("child pid 42"). */
        Recorder children(String pids) {
            children = pids;
            return this;
        }

        /** One more sentence for the detail: what could not be done or known, and why. */
        public Recorder note(String sentence) {
            note = note == null ? sentence : note + "; " + sentence;
            return this;
        }

        /** The outcome, with the time elapsed since the close began. */
        public CloseOutcome done() {
            return new CloseOutcome(this, System.nanoTime() - start);
        }
    }

    /** The mode that was applied. */
    public CloseMode mode() {
        return mode;
    }

    /**
     * The kind of socket closed: {@link #TEARDOWN} for a {@link TcpSocket}, otherwise its {@link SocketOwner#kind()}
     * ("jdk-channel", "jdk-socket", "netty-epoll", "netty-nio", ...).
     */
    public String socketKind() {
        return socketKind;
    }

    /** What went on the wire because of this close. */
    public Sent sent() {
        if (alreadyClosed || alreadyEnded) {
            return Sent.NOTHING;
        }
        if (endedAtLastClose && referencesLeft <= 0 && heldBy == null) {
            return finBeforeLastClose ? Sent.FIN : Sent.NOTHING;
        }
        if (referencesLeft > 0 || heldBy != null) {
            // Only shutdown acts for every holder; an RST waits for the last close.
            return finNow ? Sent.FIN : Sent.NOTHING;
        }
        if (rst != null) {
            return finNow || finEarlier ? Sent.FIN_THEN_RST : Sent.RST;
        }
        return finNow ? Sent.FIN : Sent.NOTHING;
    }

    /** True if an RST was sent. */
    public boolean rstSent() {
        Sent s = sent();
        return s == Sent.RST || s == Sent.FIN_THEN_RST;
    }

    /** Descriptors of this socket that teardown knows are still open after this close; -1 if not known. */
    public int referencesLeft() {
        return referencesLeft;
    }

    /** Bytes read and discarded while draining (graceful close), never more than the mode's drain limit. */
    public long bytesDrained() {
        return bytesDrained;
    }

    /** True if graceful or linger ran out of time and fell back to RST. */
    public boolean deadlineExpired() {
        return rst == Rst.DEADLINE;
    }

    /** True if graceful close hit its byte limit and fell back to RST. */
    public boolean drainLimitReached() {
        return rst == Rst.DRAIN_LIMIT;
    }

    /** Bytes of unread input the kernel discarded at close (the reason such a close sends RST); -1 if not known. */
    public int unreadBytesDiscarded() {
        return rstSent() || unreadBytesDiscarded < 0 ? unreadBytesDiscarded : 0;
    }

    /**
     * Bytes we had written that the peer had not yet acknowledged when an RST dropped them (ABORT, or a
     * deadline): output that is lost. 0 when no RST was sent; -1 if not known.
     */
    public long unsentBytesDiscarded() {
        return rstSent() || unsentBytesDiscarded < 0 ? unsentBytesDiscarded : 0;
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
        String d = detail;
        if (d == null) {
            d = format();
            if (note != null) {
                d = d + "; " + note;
            }
            detail = d; // a benign race: at worst formatted twice
        }
        return d;
    }

    private String format() {
        if (alreadyClosed) {
            return "already closed: this call did nothing";
        }
        if (alreadyEnded && endedInOrder) {
            return "nothing sent: the connection had already ended before this close (both FINs exchanged, or a reset"
                    + " its owner had already read)";
        }
        if (alreadyEnded || endedAtLastClose && !finBeforeLastClose && !finEarlier && referencesLeft <= 0) {
            return "nothing sent: the connection had already been reset by the peer (or timed out)"
                    + (unreadBytesDiscarded > 0 ? "; " + unreadBytesDiscarded + " unread bytes were discarded" : "");
        }
        if (heldBy != null) {
            return "FIN not sent: " + heldBy
                    + " (a descriptor teardown did not create: close-on-exec was cleared, or the number was dup'ed)";
        }
        String others = referencesLeft + " other reference" + (referencesLeft == 1 ? "" : "s") + " still open"
                + (children == null ? "" : " (held by child pid " + children + ")");
        if (referencesLeft > 0) {
            if (finByOwner) {
                return "FIN sent by the owner's close; its descriptor is still open";
            }
            if (finNow) {
                return "FIN sent by shutdown(" + (mode.kind() == CloseMode.Kind.SHUTDOWN ? "SHUT_RDWR" : "SHUT_WR")
                        + ") (" + others + ")";
            }
            if (rst != null) {
                return "RST not sent yet: " + others + "; SO_LINGER {1,0} stays set, so the last close sends RST";
            }
            return mode.kind() == CloseMode.Kind.LINGER ? "nothing sent and nothing awaited: " + others
                    : "FIN not sent: " + others;
        }
        String fin = finNow ? (mode.kind() == CloseMode.Kind.SHUTDOWN ? "FIN sent by shutdown(SHUT_RDWR)" : "FIN sent")
                : finEarlier ? "FIN had already been sent by shutdownOutput" : null;
        if (rst != null && endedAtLastClose) {
            String why = rst == Rst.DEADLINE ? "the deadline passed" : rst == Rst.DRAIN_LIMIT ? "the drain limit was reached"
                    : rst == Rst.UNREAD ? unreadBytesDiscarded + " unread bytes were discarded" : "SO_LINGER was {1,0}";
            return (fin == null ? "nothing sent" : fin) + "; no RST although " + why
                    + ": the connection had already ended (the peer's FIN or RST) before the last close";
        }
        if (rst != null) {
            StringBuilder b = new StringBuilder();
            if (rst == Rst.UNREAD) {
                b.append(finNow && mode.kind() == CloseMode.Kind.SHUTDOWN ? "FIN sent by shutdown, then RST: "
                        : finNow || finEarlier ? "FIN sent, then RST at the last close: "
                        : "RST sent instead of FIN: ").append(unreadBytesDiscarded).append(" unread bytes were discarded");
            } else {
                b.append(rst.text);
                if (unreadBytesDiscarded > 0) {
                    b.append("; ").append(unreadBytesDiscarded).append(" unread bytes discarded");
                }
            }
            if (unsentBytesDiscarded > 0) {
                b.append("; ").append(unsentBytesDiscarded).append(" bytes of our output not yet acknowledged were dropped");
            }
            if (bytesDrained > 0) {
                b.append(" (after draining ").append(bytesDrained).append(" bytes)");
            }
            return b.toString();
        }
        if (mode.kind() == CloseMode.Kind.GRACEFUL) {
            String f = fin == null ? "FIN sent" : fin;
            if (peerFin) {
                return f + ", peer's FIN received after draining " + bytesDrained + " bytes";
            }
            if (drainErrno != 0) {
                return f + "; the drain ended with " + Errno.name(drainErrno) + " from the peer";
            }
            return f;
        }
        if (mode.kind() == CloseMode.Kind.LINGER && lingerAcked) {
            return "all data and the FIN acknowledged before close";
        }
        if (fin != null) {
            return finNow && mode.kind() != CloseMode.Kind.SHUTDOWN ? "FIN sent: last reference closed" : fin;
        }
        return "nothing sent";
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("CloseOutcome[").append(mode).append(": ").append(sent())
                .append(", references left ").append(referencesLeft);
        if (bytesDrained > 0) {
            b.append(", drained ").append(bytesDrained).append(" bytes");
        }
        if (deadlineExpired()) {
            b.append(", deadline expired");
        }
        if (drainLimitReached()) {
            b.append(", drain limit reached");
        }
        if (unreadBytesDiscarded() > 0) {
            b.append(", ").append(unreadBytesDiscarded).append(" unread bytes discarded");
        }
        if (unsentBytesDiscarded() > 0) {
            b.append(", ").append(unsentBytesDiscarded).append(" unsent bytes dropped");
        }
        return b.append(", ").append(elapsedNanos / 1000).append(" µs: ").append(detail()).append(']').toString();
    }
}
