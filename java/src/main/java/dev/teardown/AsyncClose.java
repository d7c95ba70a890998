package dev.teardown;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Drives a {@link Closer} without a thread waiting: each step runs on the executor; a wait for input is a
 * one-shot poller callback (with a timer at the deadline), a wait for time is a timer. Pending closes cost no
 * thread; one daemon thread, {@code teardown-close}, runs the timers and, by default, the steps.
 */
final class AsyncClose implements Runnable {
    /** The default executor and the timer: one daemon thread. */
    static final ScheduledThreadPoolExecutor TIMER = timer();

    private final Descriptor d;
    private final Closer closer;
    private final Executor executor;
    private final CompletableFuture<CloseOutcome> future;
    private final Runnable afterClose;
    private final AtomicBoolean waiting = new AtomicBoolean();
    private final Runnable wake = this::wake;
    private boolean claimed;

    AsyncClose(Descriptor d, Closer closer, Executor executor, CompletableFuture<CloseOutcome> future, Runnable afterClose) {
        this.d = d;
        this.closer = closer;
        this.executor = executor;
        this.future = future;
        this.afterClose = afterClose;
    }

    private static ScheduledThreadPoolExecutor timer() {
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread th = new Thread(r, "teardown-close");
            th.setDaemon(true);
            return th;
        });
        t.setRemoveOnCancelPolicy(true);
        return t;
    }

    /** Called by the poller or the timer: the first of them resumes the close, the other finds nothing to do. */
    private void wake() {
        if (waiting.compareAndSet(true, false)) {
            try {
                executor.execute(this);
            } catch (RuntimeException rejected) {
                run(); // the executor went away: finish here rather than leave the descriptor open
            }
        }
    }

    @Override
    public void run() {
        try {
            if (!claimed) {
                if (!d.claimExclusive()) {
                    return; // the safety net already closed it (cannot happen while this task holds the handle)
                }
                claimed = true;
            }
            int s = closer.step();
            if (s == Closer.DONE) {
                future.complete(closer.outcome());
                afterClose.run();
                return;
            }
            waiting.set(true);
            long delay = s == Closer.WAIT_TIME ? Math.min(closer.pauseNanos(), closer.deadline.remaining())
                    : closer.inputWaitDeadline().remaining();
            if (s == Closer.WAIT_INPUT && d.armOwned(dev.teardown.posix.Os.POLLIN, wake) != 0) {
                delay = Math.min(delay, 10_000_000L); // no poller registration: look again soon
            }
            if (delay != Long.MAX_VALUE) {
                TIMER.schedule(wake, delay, TimeUnit.NANOSECONDS);
            }
        } catch (Throwable t) {
            future.completeExceptionally(t);
        }
    }
}
