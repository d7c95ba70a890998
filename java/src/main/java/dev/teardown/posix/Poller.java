package dev.teardown.posix;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Readiness for parked threads on platform poller threads: a thread that would block on a socket registers itself
 * for one event ({@link #arm}) and parks; the poller's own daemon thread unparks it when the kernel reports the
 * descriptor ready. Two pollers, one for input and one for output, so that a reader and a writer of the same
 * socket each hold a one-shot registration. Started on first use. On Linux an epoll instance with
 * {@code EPOLLONESHOT} ({@link EpollPoller}); elsewhere a portable poll(2) loop ({@link PollPoller}). They serve
 * the asynchronous close's callbacks, platform threads that park ({@code -Ddev.teardown.platformThreadsPark}) and
 * virtual threads where the {@link CarrierPoller}s are off ({@code -Ddev.teardown.poller=platform}, JDK 17-20, macOS);
 * an {@link EpollPoller} is also the carrier pollers' master.
 *
 * <p>A registration belongs to the open file description, not the number: whoever closes a descriptor that
 * was ever armed calls {@link #deregister} first, or a dup or a child that outlives the number keeps events
 * flowing for a number that may already name someone else's file.
 */
public abstract class Poller {
    /** Waiters per descriptor number: a {@link Waiters} set of threads and callbacks. */
    final ConcurrentHashMap<Integer, Object> waiting = new ConcurrentHashMap<>();

    /** The poller for input readiness (read, accept, a peer's FIN, errors). */
    public static Poller input() {
        return Holder.INPUT;
    }

    /** The poller for output readiness (write, connect). */
    public static Poller output() {
        return Holder.OUTPUT;
    }

    /** Whether either poller was ever started (a closing descriptor then may need deregistering). */
    public static boolean started() {
        return Holder.started;
    }

    /**
     * Adds {@code waiter} (the current {@link Thread}, or a quick {@link Runnable}) to the descriptor's waiters and
     * arms a one-shot registration. Returns 0, or the errno of the failed registration (the waiter is then removed).
     */
    public final int arm(int fd, Object waiter) {
        waiting.merge(fd, waiter, Waiters::add);
        int e = register(fd);
        if (e != 0) {
            disarm(fd, waiter);
        }
        return e;
    }

    /** Removes {@code waiter} if it is still there (it was not woken by an event, or it is leaving). */
    public final void disarm(int fd, Object waiter) {
        waiting.computeIfPresent(fd, (k, set) -> Waiters.remove(set, waiter));
    }

    /** Wakes every waiter of {@code fd} (a close is under way); the kernel registration stays until {@link #deregister}. */
    public final void wakeAll(int fd) {
        Waiters.wake(waiting.remove(fd));
    }

    /** Removes the kernel registration of {@code fd}, if any, and forgets its waiters. Call before close(2). */
    public final void deregister(int fd) {
        unregister(fd);
        waiting.remove(fd);
    }

    /** Called by the polling thread for each descriptor the kernel reports ready. */
    final void ready(int fd) {
        Waiters.wake(waiting.remove(fd));
    }

    abstract int register(int fd);

    abstract void unregister(int fd);

    static Thread daemon(Runnable loop, String name) {
        Thread t = new Thread(loop, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static final class Holder {
        static volatile boolean started;
        static final Poller INPUT;
        static final Poller OUTPUT;

        static {
            Os.requireSupported();
            INPUT = Os.LINUX ? new EpollPoller(Os.EPOLLIN | Os.EPOLLRDHUP, "teardown-poller-input")
                    : new PollPoller(Os.POLLIN, "teardown-poller-input");
            OUTPUT = Os.LINUX ? new EpollPoller(Os.EPOLLOUT, "teardown-poller-output")
                    : new PollPoller(Os.POLLOUT, "teardown-poller-output");
            started = true;
        }
    }
}
