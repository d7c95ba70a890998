package dev.teardown;

import dev.teardown.internal.SocketSites;
import dev.teardown.internal.CloseObserver;
import dev.teardown.posix.Buffers;
import dev.teardown.posix.Errno;
import dev.teardown.posix.Libc;
import dev.teardown.posix.Os;
import dev.teardown.posix.Sockaddr;
import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * A close mode's system calls on a descriptor the closer has to itself (every other call on it has left),
 * as steps: {@link #step()} does what it can without blocking and says what it waits for next (input, or
 * time). {@link #run()} drives it on the calling thread, parking; {@link AsyncClose} drives it from the
 * poller and a timer, so no thread waits. The sequence records facts in a {@link CloseOutcome.Recorder} and
 * ends with exactly one close(2) ({@link Descriptor#closeFd}), whatever fails before it.
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
        this.d = d;
        this.shared = shared;
        this.mode = mode;
        this.remote = remote;
        this.rec = CloseOutcome.record(mode, startNanos);
        this.jfr = CloseObserver.get().closeEventsEnabled(); // a volatile read unless a recording is on
        this.jfrLocal = jfr ? localAddress(d.fd) : null;
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
                    d.awaitOwned("graceful close", Os.POLLIN, deadline);
                } catch (TcpException e) {
                    // The wait itself failed (no poller registration): the next step sees the deadline or reads again.
                    java.util.concurrent.locks.LockSupport.parkNanos(Math.min(pauseNanos(), deadline.remaining()));
                }
            } else {
                java.util.concurrent.locks.LockSupport.parkNanos(Math.min(pauseNanos(), deadline.remaining()));
            }
        }
    }

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
        if (remote != null && shared.references.get() == 1
                && (SocketSites.isEnabled() || (FOREIGN_HOLDER_CHECK && !closeOnExec(d.fd)))) {
            inode = SocketSites.inodeOf(d.fd).orElse(0);
            local = localAddress(d.fd);
        }
        boolean finEarlier = shared.outputShutdown;
        boolean lingerZero = shared.lingerZero;
        int left = finish(lingerZero ? UNREAD | UNSENT : UNREAD);
        if (left == 0) {
            if (inode > 0) {
                // after close(2), outside the exclusive section: a /proc scan
                Optional<String> held = CloseObserver.get().stillHeldAfterClose(inode, local, remote);
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
                rec.rstByUnreadInput(unread); // RST instead of FIN
            } else if (!finEarlier) {
                rec.finSent();
            }
        }
        done();
    }

    private void shutdown() {
        boolean finEarlier = shared.outputShutdown;
        boolean ended = false;
        if (Libc.shutdown(d.fd, Os.SHUT_RDWR) < 0) {
            int e = Libc.errno();
            if (e == Errno.ENOTCONN) {
                ended = !finEarlier; // the kernel already ended the connection (a reset): nothing is sent
            } else {
                rec.note("shutdown(SHUT_RDWR) failed: " + Errno.name(e));
                ended = true;
            }
        }
        shared.outputShutdown = true;
        shared.inputShutdown = true;
        int left = finish(UNREAD);
        if (ended && !finEarlier) {
            rec.alreadyEnded();
        } else if (finEarlier) {
            rec.finSentEarlier();
        } else {
            rec.finSent();
        }
        if (left == 0 && unread > 0) {
            rec.rstByUnreadInput(unread);
        }
        done();
    }

    /** SO_LINGER {1,0}, then the last close: RST, with what it dropped; {@code rec} already says why. */
    private void abort(CloseOutcome.Recorder why) {
        boolean finEarlier = shared.outputShutdown;
        int rc = Libc.setsockopt(d.fd, Os.SOL_SOCKET, Os.SO_LINGER, Buffers.LINGER_ZERO, 8);
        if (rc < 0) {
            // No RST then: close(2) sends FIN (or RST for unread input). Say so rather than report an RST.
            int e = Libc.errno();
            why.rst = null;
            rec.note("setsockopt(SO_LINGER {1,0}) failed with " + Errno.name(e) + ", so close(2) did not reset");
            int left = finish(UNREAD);
            if (left == 0) {
                if (!rec.finNow && !rec.finEarlier) {
                    if (finEarlier) {
                        rec.finSentEarlier();
                    } else {
                        rec.finSent();
                    }
                }
                if (unread > 0) {
                    rec.rstByUnreadInput(unread);
                }
            }
            done();
            return;
        }
        shared.lingerZero = true;
        if (finEarlier && !rec.finNow && !rec.finEarlier) {
            rec.finSentEarlier();
        }
        int left = finish(UNREAD | UNSENT);
        if (left == 0) {
            rec.unreadDiscarded(unread).unsentDiscarded(unsent);
        }
        done();
    }

    private int graceful() {
        int fd = d.fd;
        if (phase == START) {
            if (shared.outputShutdown) {
                rec.finSentEarlier();
            } else {
                boolean ended = Libc.shutdown(fd, Os.SHUT_WR) < 0 && Libc.errno() == Errno.ENOTCONN;
                shared.outputShutdown = true;
                if (ended) {
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
                long room = limit - drained;
                long n;
                if (room == 0) {
                    // At the limit: one byte more (peeked, never counted) tells "limit reached" from "peer done".
                    n = Libc.recv(fd, scratch.address, 1, Os.MSG_DONTWAIT | Os.MSG_PEEK);
                    if (n > 0) {
                        rec.drained(drained);
                        abort(rec.rstAtDrainLimit());
                        return DONE;
                    }
                } else {
                    n = Libc.recv(fd, scratch.address, Math.min(room, Buffers.SCRATCH_SIZE), Os.MSG_DONTWAIT);
                    if (n > 0) {
                        drained += n;
                        // A peer that keeps the queue full never lets recv say EAGAIN: the deadline must hold anyway.
                        if (deadline.passed()) {
                            rec.drained(drained);
                            abort(rec.rstAtDeadline());
                            return DONE;
                        }
                        continue;
                    }
                }
                if (n == 0) {
                    rec.drained(drained).peerFinReceived();
                    int left = finish(UNREAD);
                    if (left == 0 && unread > 0) {
                        rec.rstByUnreadInput(unread);
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
                    rec.drained(drained).drainEndedWith(e);
                    finish(0);
                    done();
                    return DONE;
                }
                if (deadline.passed()) {
                    rec.drained(drained);
                    abort(rec.rstAtDeadline());
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
                int left = finish(UNREAD);
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
                if (Libc.shutdown(fd, Os.SHUT_WR) < 0) {
                    rec.note("shutdown(SHUT_WR) failed: " + Errno.name(Libc.errno()));
                } else {
                    rec.finSent();
                }
                shared.outputShutdown = true;
            }
            phase = AWAIT_FIN_ACK;
            pause = FIRST_PAUSE;
        }
        int state = tcpState(fd);
        if (state == Os.TCP_FIN_WAIT2 || state == Os.TCP_TIME_WAIT || state == Os.TCP_CLOSE || state < 0) {
            if (state == Os.TCP_CLOSE && endedByKernel(fd)) {
                rec.note("the peer reset the connection after acknowledging our data");
            } else if (state > 0) {
                rec.lingerAcknowledged();
            }
            int left = finish(UNREAD);
            if (left == 0 && unread > 0) {
                rec.rstByUnreadInput(unread);
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
        int left = finish(UNREAD);
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
            rec.rstByUnreadInput(unread); // RST instead of FIN
        } else if (!shared.outputShutdown) {
            rec.finSent();
        }
    }

    private int waitOrAbort() {
        if (deadline.passed()) {
            abort(rec.rstAtDeadline());
            return DONE;
        }
        pause = Math.min(pause * 2, LONGEST_PAUSE);
        return WAIT_TIME;
    }

    private static final int UNREAD = 1;
    private static final int UNSENT = 2;
    private int unread;
    private long unsent;

    /**
     * The one close(2), ordered with the other last closes of the socket, so that whoever is really last knows it
     * and reads what it is about to discard ({@code what}: {@link #UNREAD} FIONREAD, {@link #UNSENT} SIOCOUTQ).
     * Returns how many references remain.
     */
    private int finish(int what) {
        int left;
        synchronized (shared) {
            left = shared.othersAlive();
            if (left == 0) {
                SocketSites.forget(d.fd); // nothing to do unless allocation tracking is on
                if ((what & UNREAD) != 0) {
                    unread = Math.max(0, ioctlInt(d.fd, Os.FIONREAD));
                }
                if ((what & UNSENT) != 0 && Os.SIOCOUTQ >= 0) {
                    unsent = Math.max(0, ioctlInt(d.fd, Os.SIOCOUTQ));
                }
            }
            int e = d.closeFd();
            if (e != 0) {
                rec.note("close(2) returned " + Errno.name(e));
            }
            shared.references.decrementAndGet();
        }
        rec.referencesLeft(left);
        if (left > 0) {
            String kids = shared.childPids();
            if (kids != null) {
                rec.children(kids);
            }
        }
        return left;
    }

    private void done() {
        outcome = rec.done();
        if (jfr) {
            CloseObserver.get().closed(outcome, jfrLocal, remote);
        }
    }

    private static int ioctlInt(int fd, long request) {
        try (Buffers.Cell n = Buffers.cell()) {
            return Libc.ioctl(fd, request, n.address) < 0 ? -1 : n.getInt(0);
        }
    }

    private static boolean closeOnExec(int fd) {
        int fl = Libc.fcntl(fd, Os.F_GETFD, 0);
        return fl < 0 || (fl & Os.FD_CLOEXEC) != 0;
    }

    private static InetSocketAddress localAddress(int fd) {
        byte[] sa = new byte[Sockaddr.MAX_LEN];
        int[] len = {sa.length};
        return Libc.getsockname(fd, sa, len) < 0 ? null : Sockaddr.decode(sa, len[0]);
    }

    /** tcpi_state, the first byte of TCP_INFO; -1 if it cannot be read. */
    private static int tcpState(int fd) {
        byte[] state = new byte[1];
        return Libc.getsockopt(fd, Os.IPPROTO_TCP, Os.TCP_INFO, state, new int[] {1}) == 0 ? state[0] & 0xff : -1;
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
