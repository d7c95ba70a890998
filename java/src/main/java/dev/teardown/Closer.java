package dev.teardown;

import dev.teardown.internal.SocketSites;
import dev.teardown.internal.CloseObserver;
import dev.teardown.posix.Buffers;
import dev.teardown.posix.Errno;
import dev.teardown.posix.Libc;
import dev.teardown.posix.Os;
import dev.teardown.posix.Sockaddr;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * The close modes, each written once: a mode's system calls on a descriptor the closer has to itself (every other
 * call on it has left), as steps: {@link #step()} does what it can without blocking and says what it waits for
 * next (input, or time). {@link #run()} drives it on the calling thread, parking; {@link AsyncClose} drives it from
 * the poller and a timer (or an event loop), so no thread waits. The sequence records facts in a
 * {@link CloseOutcome.Recorder} and ends with exactly one close(2) ({@link Descriptor#closeFd}), whatever fails
 * before it.
 *
 * <p>Every kind of socket runs these steps. For teardown's own sockets {@code owner} is null and the descriptor is
 * the handle's. For a socket someone else owns ({@link SocketOwner}: a JDK or Netty channel), the descriptor is
 * teardown's own reference to it ({@link BorrowedSocket}); reads, the drain and the waits use it; shutdown and
 * SO_LINGER go through the owner; an RST the mode calls for is sent at once through it ({@code connect(AF_UNSPEC)}),
 * whatever the owner's close does later; the owner closes its number, then this reference is closed.
 */
final class Closer {
    /**
     * Whether a last-reference RELEASE spends one fcntl(F_GETFD) to notice a descriptor that lost close-on-exec
     * (and so may live on in a child teardown does not know about). On unless the system property
     * {@code dev.teardown.foreignHolderCheck} is {@code false}; allocation tracking checks regardless.
     */
    private static final boolean FOREIGN_HOLDER_CHECK = !"false".equals(System.getProperty("dev.teardown.foreignHolderCheck"));

    /** What {@link #step()} returns. */
    static final int DONE = 0;
    static final int WAIT_INPUT = 1;
    static final int WAIT_TIME = 2;

    private static final int START = 0;
    private static final int DRAIN = 1;
    private static final int AWAIT_DATA_ACK = 2;
    private static final int AWAIT_FIN_ACK = 3;

    private static final long FIRST_PAUSE = 50_000;
    private static final long LONGEST_PAUSE = 10_000_000;

    final Descriptor d;
    private final SharedSocket shared;
    /** The owner of a borrowed socket; null for teardown's own. */
    private final SocketOwner owner;
    /** A borrowed socket whose owner's close(2) was deferred past this close (see {@link SocketOwner#release()}). */
    private boolean ownerDeferred;
    final CloseMode mode;
    private final InetSocketAddress remote;
    private final CloseOutcome.Recorder rec;
    private final boolean jfr;
    private final InetSocketAddress jfrLocal;
    final Deadline deadline;
    private int phase = START;
    private long drained;
    private long pause = FIRST_PAUSE;
    private CloseOutcome outcome;

    Closer(Descriptor d, SharedSocket shared, CloseMode mode, long startNanos, InetSocketAddress remote) {
        this(d, shared, mode, startNanos, remote, null);
    }

    Closer(Descriptor d, SharedSocket shared, CloseMode mode, long startNanos, InetSocketAddress remote, SocketOwner owner) {
        this.d = d;
        this.shared = shared;
        this.mode = mode;
        this.remote = remote;
        this.owner = owner;
        this.rec = CloseOutcome.record(mode, startNanos).socketKind(owner == null ? CloseOutcome.TEARDOWN : owner.kind());
        if (owner != null) {
            // the owner's facts, onto the reference's shared record: the same steps then read them as for our own
            shared.outputShutdown = owner.isOutputShutdown();
            shared.lingerZero = mode.kind() == CloseMode.Kind.RELEASE && lingerIsZero(d.fd); // only RELEASE reads it
        }
        this.jfr = CloseObserver.<CloseOutcome>get().closeEventsEnabled(); // a volatile read unless a recording is on
        this.jfrLocal = !jfr ? null : owner != null ? owner.localAddress() : localAddress(d.fd);
        this.deadline = mode.kind() == CloseMode.Kind.GRACEFUL || mode.kind() == CloseMode.Kind.LINGER
                ? Deadline.after(startNanos, mode.timeoutNanos()) : Deadline.NONE;
    }

    /**
     * The fast path of RELEASE, SHUTDOWN and ABORT ({@link TcpSocket#closeFast}): the mode's system calls and no
     * others, no outcome, nothing allocated. RELEASE: close(2). SHUTDOWN: shutdown(SHUT_RDWR), close(2). ABORT:
     * setsockopt(SO_LINGER {1, 0}), close(2). No FIONREAD (unread input still turns FIN into RST, unreported), no
     * fcntl(F_GETFD) foreign-holder check, no JFR event. The caller has claimed the close.
     */
    static void closeFast(Descriptor d, SharedSocket shared, CloseMode.Kind kind) {
        if (kind == CloseMode.Kind.SHUTDOWN) {
            Libc.shutdownNoErrno(d.fd, Os.SHUT_RDWR); // ENOTCONN: the kernel already ended it; nothing to report
            shared.outputShutdown = true;
            shared.inputShutdown = true;
        } else if (kind == CloseMode.Kind.ABORT) {
            if (Libc.setsockoptNoErrno(d.fd, Os.SOL_SOCKET, Os.SO_LINGER, Buffers.LINGER_ZERO, 8) == 0) {
                shared.lingerZero = true;
            }
        }
        synchronized (shared) {
            if (SocketSites.isEnabled() && shared.othersAlive() == 0) {
                SocketSites.forget(d.fd);
            }
            d.closeFdQuietly(); // an error of close(2) has nobody to be told: the number is released either way
            shared.references.decrementAndGet();
        }
    }

    /**
     * The close of a borrowed socket whose connection the kernel had already ended (reset or timed out) before teardown
     * could take a reference to it: the owner closes it, nothing goes on the wire, and the outcome says so.
     */
    static CloseOutcome endedWithoutReference(SocketOwner owner, CloseMode mode, long startNanos) {
        CloseOutcome.Recorder rec = CloseOutcome.record(mode, startNanos).socketKind(owner.kind()).alreadyEnded()
                .referencesLeft(0).unreadDiscarded(-1).unsentDiscarded(-1)
                .note("no descriptor of this process names the connection any more, so the queues could not be read");
        try {
            owner.release();
        } catch (IOException | RuntimeException e) {
            rec.note("the owner's close failed: " + e);
        }
        CloseOutcome o = rec.done();
        CloseObserver<CloseOutcome> observer = CloseObserver.get();
        if (observer.closeEventsEnabled()) {
            observer.closed(o, owner.localAddress(), owner.remoteAddress());
        }
        return o;
    }

    /** Runs the whole sequence on this thread; waits park (virtual threads) or poll (platform threads). */
    static CloseOutcome close(Descriptor d, SharedSocket shared, CloseMode mode, long startNanos, InetSocketAddress remote) {
        return new Closer(d, shared, mode, startNanos, remote).run();
    }

    CloseOutcome run() {
        boolean interrupted = false;
        for (;;) {
            int s = step();
            if (s == DONE) {
                if (interrupted) {
                    Thread.currentThread().interrupt(); // kept for the caller; the close itself finished
                }
                return outcome;
            }
            interrupted |= Thread.interrupted(); // else a parked wait would return at once, again and again
            if (s == WAIT_INPUT) {
                try {
                    d.awaitOwned("graceful close", Os.POLLIN, inputWaitDeadline());
                } catch (TcpException e) {
                    // The wait itself failed (no poller registration): the next step sees the deadline or reads again.
                    java.util.concurrent.locks.LockSupport.parkNanos(Math.min(pauseNanos(), deadline.remaining()));
                }
            } else if (pauseNanos() == 0) {
                Thread.yield();
            } else {
                java.util.concurrent.locks.LockSupport.parkNanos(Math.min(pauseNanos(), deadline.remaining()));
            }
        }
    }

    /**
     * How long one wait for input may last: the mode's deadline, or for a borrowed socket at most
     * {@link #OWNER_CHECK_NANOS}, so that an owner's close during the drain is noticed (no event tells of it).
     */
    Deadline inputWaitDeadline() {
        return owner == null ? deadline : Deadline.after(Math.min(OWNER_CHECK_NANOS, deadline.remaining()));
    }

    /** How often a drain of a borrowed socket looks whether its owner closed it meanwhile. */
    static final long OWNER_CHECK_NANOS = 50_000_000L;

    /**
     * An asynchronous close of a borrowed socket may wait this long, after the owner's close, for the owner's
     * close(2) (a Selector flushing its cancelled key), so that teardown's reference is the last and the outcome
     * is exact; the synchronous close does not wait (its caller may be that Selector's thread).
     */
    void awaitOwnerReleaseUpTo(long nanos) {
        ownerReleaseWait = nanos;
    }

    private long ownerReleaseWait;

    /** The outcome once {@link #step()} returned {@link #DONE}. */
    CloseOutcome outcome() {
        return outcome;
    }

    /** How long a {@link #WAIT_TIME} lasts: a backoff from 50 µs to 10 ms. */
    long pauseNanos() {
        return pause;
    }

    /** Advances the sequence without blocking; returns {@link #DONE}, {@link #WAIT_INPUT} or {@link #WAIT_TIME}. */
    int step() {
        switch (mode.kind()) {
            case RELEASE:
                release();
                return DONE;
            case SHUTDOWN:
                shutdown();
                return DONE;
            case ABORT:
                abort(rec.rstByAbort());
                return DONE;
            case GRACEFUL:
                return graceful();
            case LINGER:
                return linger();
            default:
                throw new AssertionError(mode);
        }
    }

    private void release() {
        // teardown's count says this may be the last reference. A descriptor teardown does not know about can only
        // exist if someone cleared close-on-exec (and a child inherited it) or dup'ed the number behind our back;
        // look for holders then, or when allocation tracking asks for diagnostics. One fcntl otherwise.
        long inode = 0;
        InetSocketAddress local = null;
        int sole = 0;
        if (owner == null && remote != null && shared.references.get() == 1) {
            boolean lookup = SocketSites.isEnabled();
            if (!lookup && FOREIGN_HOLDER_CHECK) {
                int fl = Libc.fcntl(d.fd, Os.F_GETFD, 0);
                lookup = fl >= 0 && (fl & Os.FD_CLOEXEC) == 0;
                // close-on-exec still set, teardown counts no other descriptor and never handed the number out (where
                // code it does not see could have dup'ed it): this close(2) releases the file
                sole = fl >= 0 && !lookup && !shared.numberExposed ? SOLE : 0;
            }
            if (lookup) {
                inode = SocketSites.inodeOf(d.fd).orElse(0);
                local = localAddress(d.fd);
            }
        }
        boolean finEarlier = shared.outputShutdown;
        boolean lingerZero = shared.lingerZero;
        int left = finish((lingerZero ? UNREAD | UNSENT | RESET : UNREAD | UNSENT) | sole);
        if (left == 0) {
            if (inode > 0) {
                // after close(2), outside the exclusive section: a /proc scan
                Optional<String> held = CloseObserver.<CloseOutcome>get().stillHeldAfterClose(inode, local, remote);
                if (held.isPresent()) {
                    rec.heldBy(held.get());
                    done();
                    return;
                }
            }
            if (finEarlier) {
                rec.finSentEarlier();
            }
            if (lingerZero) {
                rec.rstByLingerZeroSetEarlier().unreadDiscarded(unread).unsentDiscarded(unsent);
            } else if (unread > 0) {
                rec.rstByUnreadInput(unread).unsentDiscarded(unsent); // RST instead of FIN; the send queue goes too
            } else if (!finEarlier) {
                rec.finSent();
            }
        } else {
            ownerCloseFacts();
        }
        done();
    }

    private void shutdown() {
        boolean finEarlier = shared.outputShutdown;
        boolean ended = false;
        int e = shutdownSocket(Os.SHUT_RDWR);
        if (e != 0) {
            if (e == Errno.ENOTCONN) {
                ended = !finEarlier; // the kernel already ended the connection (a reset): nothing is sent
            } else {
                rec.note("shutdown(SHUT_RDWR) failed: " + Errno.name(e));
                ended = true;
            }
        }
        shared.outputShutdown = true;
        shared.inputShutdown = true;
        if (ended && !finEarlier) {
            rec.alreadyEnded();
            if (!resetByPeer(d.fd)) {
                rec.endedInOrder();
            }
        } else if (finEarlier) {
            rec.finSentEarlier();
        } else {
            rec.finSent(); // before the last close, which may find the socket already ended
        }
        int left = finish(UNREAD | UNSENT);
        if (left == 0 && unread > 0) {
            rec.rstByUnreadInput(unread).unsentDiscarded(unsent);
        }
        done();
    }

    /** SO_LINGER {1,0}, then the last close: RST, with what it dropped; {@code rec} already says why. */
    private void abort(CloseOutcome.Recorder why) {
        boolean finEarlier = shared.outputShutdown;
        int e = setLingerZero();
        if (e != 0) {
            // No RST then: close(2) sends FIN (or RST for unread input). Say so rather than report an RST.
            why.rst = null;
            rec.note("setsockopt(SO_LINGER {1,0}) failed with " + Errno.name(e) + ", so close(2) did not reset");
            int left = finish(UNREAD | UNSENT);
            if (left == 0) {
                if (!rec.finNow && !rec.finEarlier) {
                    if (finEarlier) {
                        rec.finSentEarlier();
                    } else {
                        rec.finSent();
                    }
                }
                if (unread > 0) {
                    rec.rstByUnreadInput(unread).unsentDiscarded(unsent);
                }
            }
            done();
            return;
        }
        shared.lingerZero = true;
        if (finEarlier && !rec.finNow && !rec.finEarlier) {
            rec.finSentEarlier();
        }
        // a FIN queued behind bytes not yet transmitted never leaves: the RST drops it with them
        long notSent = rec.finNow || rec.finEarlier ? notSentBytes(d.fd) : 0;
        int left = finish(UNREAD | UNSENT | RESET);
        if (left == 0) {
            rec.unreadDiscarded(unread).unsentDiscarded(unsent);
            if (notSent > 0) {
                rec.finNeverLeft(notSent);
            }
        }
        done();
    }

    /** TCP_INFO's tcpi_notsent_bytes: queued and not yet transmitted (a queued FIN counts one); 0 if unknown. */
    private static long notSentBytes(int fd) {
        try {
            return TcpInfo.of(fd).notSentBytes().orElse(0);
        } catch (TcpException e) {
            return 0;
        }
    }

    private int graceful() {
        int fd = d.fd;
        if (phase == START) {
            if (shared.outputShutdown) {
                rec.finSentEarlier();
            } else {
                boolean ended = shutdownSocket(Os.SHUT_WR) == Errno.ENOTCONN;
                shared.outputShutdown = true;
                if (ended) {
                    if (!resetByPeer(fd)) {
                        rec.endedInOrder();
                    }
                    finish(0);
                    rec.alreadyEnded();
                    done();
                    return DONE;
                }
                rec.finSent();
            }
            phase = DRAIN;
        }
        long limit = mode.maxDrainBytes();
        try (Buffers.Scratch scratch = Buffers.scratch()) {
            for (;;) {
                long room = Math.max(0, limit - drainedTotal());
                long n;
                if (room == 0) {
                    // At the limit: one byte more (peeked, never counted) tells "limit reached" from "peer done".
                    n = Libc.recv(fd, scratch.address, 1, Os.MSG_DONTWAIT | Os.MSG_PEEK);
                    if (n > 0) {
                        rec.drained(drainedTotal());
                        abort(rec.rstAtDrainLimit());
                        return DONE;
                    }
                } else {
                    n = Libc.recv(fd, scratch.address, Math.min(room, Buffers.SCRATCH_SIZE), Os.MSG_DONTWAIT);
                    if (n > 0) {
                        drained += n;
                        // A peer that keeps the queue full never lets recv say EAGAIN: the deadline must hold anyway.
                        if (deadline.passed()) {
                            rec.drained(drainedTotal());
                            abort(rec.rstAtDeadline());
                            return DONE;
                        }
                        continue;
                    }
                }
                if (n == 0 && !peerFinArrived(fd)) {
                    // end of stream without the peer's FIN: input was shut down here (shutdownInput); nothing more
                    // can be read, so nothing can be drained
                    rec.drained(drainedTotal()).note("input had been shut down (shutdownInput), so nothing could be"
                            + " drained and the peer's FIN was not awaited");
                    int left = finish(UNREAD | UNSENT);
                    if (left == 0 && unread > 0) {
                        rec.rstByUnreadInput(unread).unsentDiscarded(unsent);
                    }
                    done();
                    return DONE;
                }
                if (n == 0 && owner != null && owner.drainErrorByOwner() != 0) {
                    rec.drained(drainedTotal()).drainEndedWith(owner.drainErrorByOwner());
                    finish(0);
                    done();
                    return DONE;
                }
                if (n == 0) {
                    rec.drained(drainedTotal()).peerFinReceived();
                    int left = finish(UNREAD | UNSENT);
                    if (left == 0 && unread > 0) {
                        rec.rstByUnreadInput(unread).unsentDiscarded(unsent);
                    }
                    done();
                    return DONE;
                }
                int e = Libc.errno();
                if (e == Errno.EINTR) {
                    continue;
                }
                if (e != Errno.EAGAIN) {
                    // ECONNRESET and the like: the peer already ended the connection; nothing left to drain.
                    rec.drained(drainedTotal()).drainEndedWith(e);
                    finish(0);
                    done();
                    return DONE;
                }
                if (deadline.passed()) {
                    rec.drained(drainedTotal());
                    abort(rec.rstAtDeadline());
                    return DONE;
                }
                if (owner != null && !owner.isOpen()) {
                    // teardown's reference keeps the connection; the owner's close sent nothing. This close is the last.
                    rec.drained(drainedTotal()).note("closed by its owner during the drain (another thread called"
                            + " close()); teardown's reference was the last, so this close ended the connection");
                    int left = finish(UNREAD | UNSENT);
                    if (left == 0 && unread > 0) {
                        rec.rstByUnreadInput(unread).unsentDiscarded(unsent);
                    }
                    done();
                    return DONE;
                }
                return WAIT_INPUT;
            }
        }
    }

    private int linger() {
        int fd = d.fd;
        if (phase == START) {
            if (shared.references.get() > 1 || !Os.LINUX) {
                if (!Os.LINUX) {
                    return lingerInKernel();
                }
                int left = finish(UNREAD | UNSENT);
                if (left == 0) { // the others closed meanwhile: this close(2) was the last
                    lastCloseFacts();
                }
                done();
                return DONE;
            }
            phase = AWAIT_DATA_ACK;
        }
        if (phase == AWAIT_DATA_ACK) {
            int queued = ioctlInt(fd, Os.SIOCOUTQ);
            if (queued > 0) {
                if (endedByKernel(fd)) {
                    rec.note("the connection was reset by the peer (or timed out) before " + queued
                            + " bytes were acknowledged");
                    finish(0);
                    rec.alreadyEnded();
                    done();
                    return DONE;
                }
                return waitOrAbort();
            }
            if (shared.outputShutdown) {
                rec.finSentEarlier();
            } else {
                int e = shutdownSocket(Os.SHUT_WR);
                if (e != 0) {
                    rec.note("shutdown(SHUT_WR) failed: " + Errno.name(e));
                } else {
                    rec.finSent();
                }
                shared.outputShutdown = true;
            }
            phase = AWAIT_FIN_ACK;
            pause = FIRST_PAUSE;
            spins = 0;
        }
        int state = tcpState(fd);
        if (state == Os.TCP_FIN_WAIT2 || state == Os.TCP_TIME_WAIT || state == Os.TCP_CLOSE || state < 0) {
            if (state == Os.TCP_CLOSE && resetByPeer(fd)) {
                rec.note("the peer reset the connection after acknowledging our data");
            } else if (state > 0) {
                rec.lingerAcknowledged();
            }
            int left = finish(UNREAD | UNSENT);
            if (left == 0 && unread > 0) {
                rec.rstByUnreadInput(unread).unsentDiscarded(unsent);
            }
            done();
            return DONE;
        }
        return waitOrAbort();
    }

    /** macOS (untested): the kernel's own SO_LINGER wait in close(2), in whole seconds, blocking. */
    private int lingerInKernel() {
        int seconds = (int) Math.min(Os.MAX_LINGER_SECONDS, Math.max(1, (deadline.remaining() + 999_999_999L) / 1_000_000_000L));
        try (Buffers.Cell linger = Buffers.cell()) {
            Libc.setsockopt(d.fd, Os.SOL_SOCKET, Os.SO_LINGER, linger.putInts(1, seconds), 8);
        }
        int left = finish(UNREAD | UNSENT);
        if (left == 0) {
            lastCloseFacts();
        }
        done();
        return DONE;
    }

    private void lastCloseFacts() {
        if (shared.outputShutdown && !rec.finNow) {
            rec.finSentEarlier();
        }
        if (unread > 0) {
            rec.rstByUnreadInput(unread).unsentDiscarded(unsent); // RST instead of FIN
        } else if (!shared.outputShutdown) {
            rec.finSent();
        }
    }

    private int waitOrAbort() {
        if (deadline.passed()) {
            abort(rec.rstAtDeadline());
            return DONE;
        }
        // on loopback an acknowledgement takes microseconds, and a park of 50 us sleeps twice that: yield first
        if (spins < SPINS) {
            spins++;
            pause = 0;
        } else {
            pause = pause == 0 ? FIRST_PAUSE : Math.min(pause * 2, LONGEST_PAUSE);
        }
        return WAIT_TIME;
    }

    /** How many waits of linger yield the thread instead of parking, before the backoff starts. */
    private static final int SPINS = 16;
    private int spins;

    private static final int UNREAD = 1;
    private static final int UNSENT = 2;
    /** A borrowed socket: reset it now through teardown's reference, whatever the owner's close does later. */
    private static final int RESET = 4;
    /**
     * The caller saw close-on-exec still set: if teardown counts no other reference, this close(2) releases the open
     * file description (its epoll registrations go with it).
     */
    private static final int SOLE = 8;
    private int unread;
    private long unsent;

    /**
     * The one close(2), ordered with the other last closes of the socket, so that whoever is really last knows it
     * and reads what it is about to discard ({@code what}: {@link #UNREAD} FIONREAD, {@link #UNSENT} SIOCOUTQ less a
     * FIN still unacknowledged). For a borrowed socket the owner closes its number first ({@link #RESET}: after
     * {@code connect(AF_UNSPEC)} has sent the RST), then teardown's reference. Returns how many references remain.
     */
    private int finish(int what) {
        int left;
        synchronized (shared) {
            left = shared.othersAlive();
            int before = -1;
            // poll(2)'s answer for our own socket on Linux, which can spare the reads below: no POLLHUP means the state
            // is not CLOSE (the kernel sets POLLHUP in CLOSE), and no POLLIN or POLLPRI means nothing is queued to read
            // (POLLIN is set from one byte on unless SO_RCVLOWAT was raised, which teardown never does and nobody else
            // could have done while the number stayed with teardown). -1: not polled, read everything.
            int probe = -1;
            if (left == 0) {
                if (owner == null) {
                    SocketSites.forget(d.fd); // nothing to do unless allocation tracking is on
                    if (Os.LINUX) {
                        probe = pollNow(d.fd);
                    }
                }
                if ((what & UNREAD) != 0) {
                    boolean empty = probe >= 0 && !shared.numberExposed && (probe & (Os.POLLIN | Os.POLLPRI)) == 0;
                    unread = empty ? 0 : Math.max(0, ioctlInt(d.fd, Os.FIONREAD));
                }
                // what an RST drops: read only when one goes out (unread input, SO_LINGER zero, ABORT)
                if ((what & UNSENT) != 0 && Os.SIOCOUTQ >= 0 && (unread > 0 || (what & RESET) != 0)) {
                    unsent = unsentData(d.fd);
                }
                if (owner != null) {
                    before = tcpState(d.fd);
                }
            }
            boolean reset = false;
            int after = -1;
            if (owner != null) {
                // unread input makes the last close(2) send RST: send it now, before the owner's close (which may shut
                // output first, or be deferred), so that it goes out whatever the owner does
                reset = before != Os.TCP_CLOSE && ((what & RESET) != 0 || unread > 0) && resetNow();
                try {
                    ownerDeferred = !owner.release();
                } catch (IOException | RuntimeException e) {
                    rec.note("the owner's close failed: " + e);
                }
                if (ownerDeferred && ownerReleaseWait > 0) {
                    ownerDeferred = !awaitOwnerRelease(ownerReleaseWait);
                    if (!ownerDeferred && left == 0 && !reset) {
                        // teardown's reference is now the last: what its close(2) discards, read again
                        unread = Math.max(0, ioctlInt(d.fd, Os.FIONREAD));
                        if ((what & UNSENT) != 0 && Os.SIOCOUTQ >= 0 && unread > 0) {
                            unsent = unsentData(d.fd);
                        }
                    }
                }
                after = tcpState(d.fd);
                if (!reset && !rec.finNow && !shared.outputShutdown && sending(before) && !sending(after)) {
                    rec.finSentByOwner(); // the JDK shuts output in its close of a Socket, or of a registered channel
                }
                if (ownerDeferred && !reset) {
                    left = 1; // the owner's number keeps the connection until its close(2)
                }
            }
            // A socket the kernel already moved to CLOSE (reset, timed out, or TIME_WAIT after both FINs): this close(2)
            // sends nothing more, not even the RST unread input or SO_LINGER zero would cause. Read just before it.
            if (left == 0 && !reset && (owner != null ? after : probe >= 0 && (probe & Os.POLLHUP) == 0 ? -1
                    : tcpState(d.fd)) == Os.TCP_CLOSE) {
                rec.endedBeforeLastClose();
            }
            int e = d.closeFd(left == 0 && owner == null && (what & SOLE) != 0);
            if (e != 0) {
                rec.note("close(2) returned " + Errno.name(e));
            }
            shared.references.decrementAndGet();
        }
        rec.referencesLeft(left);
        if (left > 0 && owner == null) {
            String kids = shared.childPids();
            if (kids != null) {
                rec.children(kids);
            }
        }
        return left;
    }

    /** A state in which our direction is still open: a close(2) or shutdown from here would send FIN. */
    private static boolean sending(int state) {
        return state == Os.TCP_ESTABLISHED || state == Os.TCP_CLOSE_WAIT;
    }

    /** Parks in growing steps until the owner's close(2) has happened or {@code nanos} pass; true if it has. */
    private boolean awaitOwnerRelease(long nanos) {
        long end = System.nanoTime() + nanos;
        long step = 20_000;
        while (!owner.released()) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(Math.min(step, left));
            step = Math.min(step * 2, 5_000_000);
        }
        return true;
    }

    /**
     * After our FIN, end of stream means the peer's FIN arrived unless input was shut down here: then the state is
     * still FIN_WAIT1 or FIN_WAIT2 (the peer's FIN moves it on, to CLOSING or TIME_WAIT, which leaves the socket in
     * CLOSE).
     */
    private static boolean peerFinArrived(int fd) {
        int st = tcpState(fd);
        return st != Os.TCP_FIN_WAIT1 && st != Os.TCP_FIN_WAIT2;
    }

    /** True if this close runs on a borrowed socket ({@link SocketOwner}). */
    boolean borrowed() {
        return owner != null;
    }

    /** True once a borrowed socket's close returned while its owner's close(2) was still deferred. */
    boolean ownerDeferred() {
        return ownerDeferred;
    }

    /**
     * A borrowed socket whose owner keeps its number past this close (a JDK channel still registered with a
     * Selector): what the owner's close did now (the JDK shuts output for a registered channel), and what waits.
     */
    private void ownerCloseFacts() {
        if (!ownerDeferred) {
            return;
        }
        rec.note("the owner's descriptor stays open until its Selector's next select() flushes the cancelled key"
                + (unread > 0 ? "; that close(2) sends RST for " + unread + " unread bytes" : "")
                + " (JdkSockets.closeAsync(key, mode) cancels the key and wakes the Selector)");
    }

    /**
     * connect(AF_UNSPEC) on teardown's reference: the kernel sends RST and drops the connection now. True if it did;
     * false if the connection had ended meanwhile (nothing to send) or the call failed.
     */
    private boolean resetNow() {
        int state = tcpState(d.fd);
        if (state == Os.TCP_CLOSE) {
            return false; // ended meanwhile (the peer's FIN after ours, or a reset): nothing to send
        }
        try (Buffers.Cell unspec = Buffers.cell()) {
            if (Libc.connect(d.fd, unspec.putInts(Os.AF_UNSPEC, 0, 0, 0), 16) < 0) {
                rec.note("connect(AF_UNSPEC) failed with " + Errno.name(Libc.errno())
                        + ": the RST waits for the owner's last close");
                return false;
            }
        }
        // The kernel sets ECONNRESET when its disconnect sends the RST. A peer's FIN that arrived after the state read
        // above can only have ended a connection whose FIN had gone out (FIN_WAIT*, CLOSING, LAST_ACK: then TIME_WAIT,
        // and the disconnect sends nothing); from ESTABLISHED or CLOSE_WAIT the disconnect always resets.
        int[] err = {0};
        int[] len = {4};
        if (Libc.getsockopt(d.fd, Os.SOL_SOCKET, Os.SO_ERROR, err, len) != 0 || err[0] == Errno.ECONNRESET) {
            return true;
        }
        return err[0] == 0 && sending(state);
    }

    /** shutdown(2) of our own socket, or through the owner; 0 or the errno (ENOTCONN: the kernel had ended it). */
    private int shutdownSocket(int how) {
        if (owner == null) {
            return Libc.shutdown(d.fd, how) < 0 ? Libc.errno() : 0;
        }
        if (tcpState(d.fd) == Os.TCP_CLOSE) {
            return Errno.ENOTCONN; // the JDK ignores ENOTCONN; the kernel's state tells
        }
        try {
            if (how != Os.SHUT_RD) {
                owner.shutdownOutput();
            }
        } catch (IOException | RuntimeException e) {
            rec.note("the owner's shutdownOutput failed: " + e);
            return Errno.EINVAL;
        }
        if (how != Os.SHUT_WR) {
            try {
                owner.shutdownInput();
            } catch (IOException | RuntimeException e) {
                // input already shut (an event loop that saw the peer's FIN): the FIN above is what matters
            }
        }
        return 0;
    }

    /** SO_LINGER {1,0}, on our own socket or through the owner; 0 or the errno. */
    private int setLingerZero() {
        if (owner == null) {
            return Libc.setsockopt(d.fd, Os.SOL_SOCKET, Os.SO_LINGER, Buffers.LINGER_ZERO, 8) < 0 ? Libc.errno() : 0;
        }
        try {
            owner.setLingerZero();
            return 0;
        } catch (IOException | RuntimeException e) {
            rec.note("the owner's SO_LINGER failed: " + e);
            return Errno.EINVAL;
        }
    }

    /** Bytes drained: by teardown, plus what an owner's event loop read and discarded on its behalf. */
    private long drainedTotal() {
        return owner == null ? drained : drained + owner.drainedByOwner();
    }

    private void done() {
        outcome = rec.done();
        if (jfr) {
            CloseObserver.<CloseOutcome>get().closed(outcome, jfrLocal, remote);
        }
    }

    /**
     * SIOCOUTQ: our bytes the peer has not acknowledged. A FIN counts one there while unacknowledged (FIN_WAIT1,
     * CLOSING, LAST_ACK); it is not data, so it is left out.
     */
    private static long unsentData(int fd) {
        int q = ioctlInt(fd, Os.SIOCOUTQ);
        if (q <= 0) {
            return 0;
        }
        int st = tcpState(fd);
        return st == Os.TCP_FIN_WAIT1 || st == Os.TCP_CLOSING || st == Os.TCP_LAST_ACK ? q - 1 : q;
    }

    private static boolean lingerIsZero(int fd) {
        int[] v = new int[2];
        int[] len = {8};
        return Libc.getsockopt(fd, Os.SOL_SOCKET, Os.SO_LINGER, v, len) == 0 && v[0] != 0 && v[1] == 0;
    }

    /** An RST from the peer (or a timeout) ended the connection: TCP_CLOSE with an error pending (POLLERR). */
    private static boolean resetByPeer(int fd) {
        int[] pfd = {fd, 0};
        return Libc.poll(pfd, 1, 0) > 0 && ((pfd[1] >>> 16) & Os.POLLERR) != 0 && tcpState(fd) == Os.TCP_CLOSE;
    }

    /** poll(2) with timeout 0: the fd's revents, or -1 if the call failed. */
    private static int pollNow(int fd) {
        try (Buffers.Cell pfd = Buffers.cell()) {
            return Libc.poll(pfd.putInts(fd, Os.POLLIN | Os.POLLPRI), 1, 0) < 0 ? -1 : pfd.getInt(1) >>> 16;
        }
    }

    private static int ioctlInt(int fd, long request) {
        try (Buffers.Cell n = Buffers.cell()) {
            return Libc.ioctl(fd, request, n.address) < 0 ? -1 : n.getInt(0);
        }
    }

    private static InetSocketAddress localAddress(int fd) {
        byte[] sa = new byte[Sockaddr.MAX_LEN];
        int[] len = {sa.length};
        return Libc.getsockname(fd, sa, len) < 0 ? null : Sockaddr.decode(sa, len[0]);
    }

    /** tcpi_state, the first byte of TCP_INFO; -1 if it cannot be read. */
    private static int tcpState(int fd) {
        return dev.teardown.posix.SocketQueues.tcpState(fd);
    }

    /**
     * True once the kernel has ended the connection (TCP_CLOSE after an RST from the peer or a timeout): poll
     * reports POLLERR or POLLHUP, and TCP_INFO says CLOSE.
     */
    private static boolean endedByKernel(int fd) {
        int[] pfd = {fd, 0};
        if (Libc.poll(pfd, 1, 0) <= 0 || ((pfd[1] >>> 16) & (Os.POLLERR | Os.POLLHUP)) == 0 || !Os.LINUX) {
            return false;
        }
        return tcpState(fd) == Os.TCP_CLOSE;
    }
}
