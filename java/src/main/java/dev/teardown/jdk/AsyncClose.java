package dev.teardown.jdk;

import dev.teardown.CloseMode;
import dev.teardown.CloseOutcome;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ForkJoinPool;

/**
 * One asynchronous close of a non-blocking {@link SocketChannel}. RELEASE, SHUTDOWN and ABORT run on the
 * caller's thread (none blocks a non-blocking channel); graceful's drain and linger's waits run on
 * {@link CloseLoop}, so the caller's selector thread never waits. The future completes once the JDK has
 * really closed the socket: a channel registered with a Selector keeps its descriptor open until every
 * Selector it was registered with has flushed its cancelled key ({@link SocketChannel#isRegistered()} turns
 * false, and the JDK closes the number right after).
 */
final class AsyncClose implements Runnable {
    /** How long to wait for the caller's Selector to flush the cancelled key before completing anyway. */
    static final long RELEASE_WAIT_NANOS = 10_000_000_000L;

    private static final long OWNER_CHECK_NANOS = 50_000_000L;

    private static final ByteBuffer DRAIN = ByteBuffer.allocateDirect(64 * 1024); // loop thread only

    private final SocketChannel ch;
    private final Endpoint e;
    private final CloseMode mode;
    private final CloseOutcome.Recorder r;
    private final long start;
    private final long deadline;
    private final CompletableFuture<CloseOutcome> future = new CompletableFuture<>();
    private final CloseLoop loop = CloseLoop.get();
    private long drained;
    private boolean finished;
    private int lingerPhase;
    private long pause = 50_000;

    private AsyncClose(SocketChannel ch, Endpoint e, CloseMode mode, long start) {
        this.ch = ch;
        this.e = e;
        this.mode = mode;
        this.start = start;
        this.deadline = start + mode.timeout().toNanos();
        this.r = CloseOutcome.record(mode, start).referencesLeft(0);
    }

    static CompletableFuture<CloseOutcome> start(SocketChannel ch, Endpoint e, CloseMode mode, long start) {
        AsyncClose c = new AsyncClose(ch, e, mode, start);
        try {
            switch (mode.kind()) {
                case GRACEFUL:
                    if (e.endedByKernel()) {
                        e.close();
                        c.finish(c.r.alreadyEnded());
                        break;
                    }
                    if (e.isOutputShutdown()) {
                        c.r.finSentEarlier();
                    } else {
                        e.shutdownOutput(); // FIN now, after everything already written
                        c.r.finSent();
                    }
                    if (e.isInputShutdown()) {
                        c.finish(Closing.inputShutEarlier(e, c.r));
                        break;
                    }
                    c.loop.execute(c::beginDrain);
                    break;
                case LINGER:
                    c.loop.execute(c::lingerStep);
                    break;
                default:
                    c.finish(Closing.immediate(e, mode, c.r));
            }
        } catch (IOException | RuntimeException failure) {
            c.fail(failure);
        }
        return c.future;
    }

    // ---- graceful: readable events and the deadline, on the loop ----

    private void beginDrain() {
        try {
            ch.register(loop.selector(), SelectionKey.OP_READ, this);
        } catch (ClosedChannelException closed) {
            finish(r.note("closed by its owner before the drain began"));
            return;
        } catch (RuntimeException failure) {
            fail(failure);
            return;
        }
        loop.schedule(deadline, this::deadlinePassed);
        loop.schedule(System.nanoTime() + OWNER_CHECK_NANOS, this::ownerCheck);
        run(); // data may already be queued
    }

    /** An owner's close cancels teardown's key too, so no readiness event tells; look every 50 ms. */
    private void ownerCheck() {
        if (finished) {
            return;
        }
        if (!ch.isOpen()) {
            finish(r.drained(drained).note("closed by its owner during the drain (another thread called close())"));
        } else {
            loop.schedule(System.nanoTime() + OWNER_CHECK_NANOS, this::ownerCheck);
        }
    }

    /** The channel is readable: drain without blocking until EAGAIN, the peer's FIN or the limit. */
    @Override
    public void run() {
        if (finished) {
            return;
        }
        long limit = mode.maxDrainBytes();
        try {
            for (;;) {
                long room = limit - drained;
                DRAIN.clear();
                if (room < DRAIN.capacity()) {
                    DRAIN.limit((int) room + 1); // one past the limit tells "more came"
                }
                int n = ch.read(DRAIN);
                if (n == 0) {
                    return;
                }
                if (n < 0) {
                    int unread = e.unread();
                    e.close();
                    if (unread > 0) {
                        r.rstByUnreadInput(unread);
                    }
                    finish(r.peerFinReceived().drained(drained));
                    return;
                }
                drained += n;
                if (drained > limit) {
                    finish(Closing.abort(e, r.drained(drained), Closing.AT_DRAIN_LIMIT));
                    return;
                }
                if (deadline - System.nanoTime() <= 0) {
                    deadlinePassed(); // a peer that keeps the queue full never lets read return 0
                    return;
                }
            }
        } catch (IOException failure) {
            r.drained(drained);
            if (!ch.isOpen()) {
                finish(r.note("closed by its owner during the drain (another thread called close())"));
                return;
            }
            try {
                e.close();
            } catch (IOException ignored) {
                // the JDK's close of a reset channel: nothing more to release
            }
            int errno = Closing.errnoOf(failure);
            finish(errno != 0 ? r.drainEndedWith(errno) : r.note("the drain ended with " + failure));
        }
    }

    private void deadlinePassed() {
        if (finished) {
            return;
        }
        if (!ch.isOpen()) {
            finish(r.drained(drained).note("closed by its owner during the drain (another thread called close())"));
            return;
        }
        try {
            finish(Closing.abort(e, r.drained(drained), Closing.AT_DEADLINE));
        } catch (IOException failure) {
            fail(failure);
        }
    }

    // ---- linger: scheduled send-queue checks, on the loop ----

    private void lingerStep() {
        try {
            if (!ch.isOpen()) {
                finish(r.note("closed by its owner while lingering"));
                return;
            }
            if (e.fd() < 0) {
                // The JDK turns SO_LINGER off for a channel registered with a Selector, so no kernel wait is possible.
                boolean earlier = e.isOutputShutdown();
                e.close();
                (earlier ? r.finSentEarlier() : r.finSent()).unreadDiscarded(-1).unsentDiscarded(-1);
                finish(r.note("the send queue could not be read (" + e.unknownWhy() + "): closed without waiting"
                        + " for the acknowledgement"));
                return;
            }
            int q = e.unacknowledged();
            if (q > 0) {
                if (e.endedByKernel()) {
                    e.close();
                    finish(r.alreadyEnded().note(q + " bytes were never acknowledged"));
                } else if (deadline - System.nanoTime() <= 0) {
                    finish(Closing.abort(e, r, Closing.AT_DEADLINE));
                } else {
                    loop.schedule(System.nanoTime() + Math.min(pause, deadline - System.nanoTime()), this::lingerStep);
                    pause = Math.min(pause * 2, 10_000_000);
                }
                return;
            }
            if (lingerPhase == 0) {
                lingerPhase = 1;
                if (e.isOutputShutdown()) {
                    r.finSentEarlier();
                } else {
                    int unread = e.unread();
                    if (unread > 0) {
                        e.close(); // unread input: RST instead of FIN, as TcpSocket's linger
                        finish(r.rstByUnreadInput(unread).unsentDiscarded(0));
                        return;
                    }
                    e.shutdownOutput();
                    r.finSent();
                }
                lingerStep(); // now wait for the FIN's acknowledgement
                return;
            }
            int unread = e.unread();
            e.close();
            if (unread > 0) {
                r.rstByUnreadInput(unread).unsentDiscarded(0);
            }
            finish(r);
        } catch (IOException | RuntimeException failure) {
            fail(failure);
        }
    }

    // ---- completion: after the JDK's real close ----

    private void finish(CloseOutcome.Recorder done) {
        finished = true;
        if (!ch.isRegistered()) {
            complete(done.done());
            return;
        }
        if (loop.inLoop()) {
            awaitRelease(done);
        } else {
            loop.execute(() -> awaitRelease(done));
        }
    }

    /** Polls (on the loop, after its select has flushed teardown's own key) until no Selector holds the channel. */
    private void awaitRelease(CloseOutcome.Recorder done) {
        if (!ch.isRegistered()) {
            complete(done.done());
        } else if (System.nanoTime() - start > RELEASE_WAIT_NANOS + mode.timeout().toNanos()) {
            complete(done.note("the descriptor is still registered with a Selector that has not flushed the"
                    + " cancelled key: the kernel's close(2) waits for that Selector's next select()").done());
        } else {
            loop.schedule(System.nanoTime() + 200_000, () -> awaitRelease(done));
        }
    }

    /** The caller's dependent stages must not run on (and stall) teardown's loop: complete from another thread. */
    private void complete(CloseOutcome o) {
        if (loop.inLoop()) {
            ForkJoinPool.commonPool().execute(() -> future.complete(o));
        } else {
            future.complete(o);
        }
    }

    private void fail(Throwable failure) {
        finished = true;
        try {
            e.close(); // the JDK's close is idempotent: never a second close(2)
        } catch (IOException suppressed) {
            failure.addSuppressed(suppressed);
        }
        if (loop.inLoop()) {
            ForkJoinPool.commonPool().execute(() -> future.completeExceptionally(failure));
        } else {
            future.completeExceptionally(failure);
        }
    }
}
