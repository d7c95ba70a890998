package dev.teardown.jdk;

import dev.teardown.CloseMode;
import dev.teardown.CloseOutcome;
import dev.teardown.posix.Errno;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.channels.ClosedByInterruptException;
import java.util.concurrent.locks.LockSupport;

/**
 * The close modes as sequences of JDK calls on one {@link Endpoint}, recording what each step put on the wire.
 * The socket is changed only through the JDK (shutdownOutput, shutdownInput, SO_LINGER, close); the
 * descriptor is only read (FIONREAD, SIOCOUTQ, the TCP state). Ends with the JDK's close, exactly once.
 */
final class Closing {
    private Closing() {}

    private static final ThreadLocal<byte[]> DRAIN = ThreadLocal.withInitial(() -> new byte[16 * 1024]);

    /** RELEASE, SHUTDOWN and ABORT: none waits for the peer. */
    static CloseOutcome.Recorder immediate(Endpoint e, CloseMode mode, CloseOutcome.Recorder r) throws IOException {
        boolean finEarlier = e.isOutputShutdown();
        if (finEarlier) {
            r.finSentEarlier();
        }
        switch (mode.kind()) {
            case RELEASE: {
                boolean lingerZero = e.linger() == 0;
                int unread = e.unread();
                int unsent = unread > 0 || lingerZero ? e.unacknowledged() : 0;
                e.close();
                if (lingerZero) {
                    r.rstByLingerZeroSetEarlier().unreadDiscarded(unread).unsentDiscarded(unsent);
                } else if (unread > 0) {
                    r.rstByUnreadInput(unread).unsentDiscarded(unsent);
                } else if (!finEarlier) {
                    r.finSent();
                }
                return unknown(e, r, unread < 0);
            }
            case SHUTDOWN: {
                boolean ended = e.endedByKernel();
                if (!finEarlier) {
                    e.shutdownOutput();
                }
                e.shutdownInput();
                int unread = e.unread();
                int unsent = unread > 0 ? e.unacknowledged() : 0;
                e.close();
                if (ended) {
                    return r.alreadyEnded();
                }
                if (!finEarlier) {
                    r.finSent();
                }
                if (unread > 0) {
                    r.rstByUnreadInput(unread).unsentDiscarded(unsent);
                }
                return unknown(e, r, unread < 0);
            }
            case ABORT:
                return abort(e, r, 0);
            default:
                throw new IllegalArgumentException(mode + " waits for the peer; use Closing.graceful or Closing.linger");
        }
    }

    /** Which RST: ABORT's, or graceful's and linger's fallback at the deadline or the drain limit. */
    static final int BY_ABORT = 0;
    static final int AT_DEADLINE = 1;
    static final int AT_DRAIN_LIMIT = 2;

    /** SO_LINGER {1,0} through the JDK, then its close: RST, reporting what it discards. */
    static CloseOutcome.Recorder abort(Endpoint e, CloseOutcome.Recorder r, int why) throws IOException {
        int unread = e.unread();
        int unsent = e.unacknowledged();
        e.setLinger(0);
        e.close();
        if (why == AT_DEADLINE) {
            r.rstAtDeadline();
        } else if (why == AT_DRAIN_LIMIT) {
            r.rstAtDrainLimit();
        } else {
            r.rstByAbort();
        }
        r.unreadDiscarded(unread).unsentDiscarded(unsent);
        return unknown(e, r, unread < 0 || unsent < 0);
    }

    /**
     * graceful on the calling thread: FIN (shutdownOutput), then timed reads through the JDK's own stream until
     * the peer's FIN, the deadline or the drain limit. Blocking reads park a virtual thread, never pin it.
     */
    static CloseOutcome.Recorder graceful(Endpoint e, CloseMode mode, CloseOutcome.Recorder r, long start) throws IOException {
        e.prepareBlockingReads();
        if (e.endedByKernel()) {
            e.close();
            return r.alreadyEnded();
        }
        if (e.isOutputShutdown()) {
            r.finSentEarlier();
        } else {
            e.shutdownOutput();
            r.finSent();
        }
        if (e.isInputShutdown()) {
            return inputShutEarlier(e, r);
        }
        long deadline = start + mode.timeout().toNanos();
        long limit = mode.maxDrainBytes();
        long drained = 0;
        byte[] buf = DRAIN.get();
        InputStream in = e.input();
        for (;;) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return abort(e, r.drained(drained), AT_DEADLINE);
            }
            long room = limit - drained;
            int want = room >= buf.length ? buf.length : (int) room + 1; // one past the limit tells "more came"
            int n;
            try {
                e.setReadTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, (left + 999_999) / 1_000_000)));
                n = in.read(buf, 0, want);
            } catch (SocketTimeoutException timeout) {
                continue; // the loop's deadline check decides
            } catch (IOException failure) {
                r.drained(drained);
                if (failure instanceof ClosedByInterruptException) {
                    return r.note("the JDK closed the channel because the closing thread was interrupted during the"
                            + " drain");
                }
                if (!e.isOpen()) {
                    // Another thread closed it: the JDK released the number once our read left; nothing is closed twice.
                    return r.note("closed by its owner during the drain (another thread called close()); what that"
                            + " close put on the wire is the JDK's doing");
                }
                e.close();
                int errno = errnoOf(failure);
                if (errno != 0) {
                    return r.drainEndedWith(errno);
                }
                return r.note("the drain ended with " + failure);
            }
            if (n < 0) {
                int unread = e.unread(); // nothing can follow the peer's FIN; 0 unless the peer broke the rules
                e.close();
                if (unread > 0) {
                    r.rstByUnreadInput(unread);
                }
                return r.peerFinReceived().drained(drained);
            }
            drained += n;
            if (drained > limit) {
                return abort(e, r.drained(drained), AT_DRAIN_LIMIT);
            }
        }
    }

    /**
     * linger on the calling thread: waits (parked, with growing pauses) until the send queue is acknowledged,
     * sends FIN, waits for its acknowledgement too, and closes; RST when the deadline passes first. Without
     * the descriptor the JDK's own SO_LINGER {1,t} close is used, and the outcome says so.
     */
    static CloseOutcome.Recorder linger(Endpoint e, CloseMode mode, CloseOutcome.Recorder r, long start) throws IOException {
        long deadline = start + mode.timeout().toNanos();
        if (e.fd() < 0) {
            long seconds = Math.max(1, (mode.timeout().toNanos() + 999_999_999L) / 1_000_000_000L);
            boolean finEarlier = e.isOutputShutdown();
            e.setLinger((int) Math.min(Integer.MAX_VALUE, seconds));
            e.close(); // blocks in close(2) until acknowledged or the time is up
            if (finEarlier) {
                r.finSentEarlier();
            } else {
                r.finSent();
            }
            return r.unreadDiscarded(-1).unsentDiscarded(-1).note("the send queue could not be read ("
                    + e.unknownWhy() + "): closed with the JDK's SO_LINGER {1," + seconds + "}, whether everything"
                    + " was acknowledged is not known");
        }
        long pause = 50_000;
        for (int phase = 0; phase < 2; phase++) {
            for (;;) {
                int q = e.unacknowledged();
                if (q <= 0) {
                    break;
                }
                if (e.endedByKernel()) {
                    e.close();
                    return r.alreadyEnded().note(q + " bytes were never acknowledged");
                }
                if (deadline - System.nanoTime() <= 0) {
                    return abort(e, r, AT_DEADLINE);
                }
                LockSupport.parkNanos(Math.min(pause, deadline - System.nanoTime()));
                pause = Math.min(pause * 2, 10_000_000);
            }
            if (phase == 0) {
                if (e.isOutputShutdown()) {
                    r.finSentEarlier();
                } else {
                    int unread = e.unread();
                    if (unread > 0) {
                        e.close(); // unread input: the kernel sends RST instead of FIN, as TcpSocket's linger does
                        return r.rstByUnreadInput(unread).unsentDiscarded(0);
                    }
                    e.shutdownOutput();
                    r.finSent();
                }
            }
        }
        int unread = e.unread();
        e.close();
        if (unread > 0) {
            r.rstByUnreadInput(unread).unsentDiscarded(0);
        }
        return r;
    }

    /** graceful after the owner's shutdownInput: the JDK reads nothing more, so there is nothing to drain through. */
    static CloseOutcome.Recorder inputShutEarlier(Endpoint e, CloseOutcome.Recorder r) throws IOException {
        int unread = e.unread();
        e.close();
        if (unread > 0) {
            r.rstByUnreadInput(unread);
        }
        r.note("input had been shut down (shutdownInput), so nothing could be drained through the JDK");
        return unknown(e, r, unread < 0);
    }

    /** When the descriptor could not be read: the counts become -1 and the detail says why. */
    static CloseOutcome.Recorder unknown(Endpoint e, CloseOutcome.Recorder r, boolean unknown) {
        if (unknown) {
            r.unreadDiscarded(-1).unsentDiscarded(-1).note("unread and unsent byte counts not known: " + e.unknownWhy());
        }
        return r;
    }

    /** The errno behind a JDK I/O failure, from its message (the JDK keeps no errno); 0 if not recognised. */
    static int errnoOf(IOException e) {
        String m = String.valueOf(e.getMessage());
        if (m.contains("Connection reset")) {
            return Errno.ECONNRESET;
        }
        if (m.contains("Broken pipe")) {
            return Errno.EPIPE;
        }
        if (m.contains("timed out")) {
            return Errno.ETIMEDOUT;
        }
        return 0;
    }
}
