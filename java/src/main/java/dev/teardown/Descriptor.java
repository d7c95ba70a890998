package dev.teardown;

import dev.teardown.posix.Buffers;
import dev.teardown.posix.CarrierPoller;
import dev.teardown.posix.Errno;
import dev.teardown.posix.Libc;
import dev.teardown.posix.Os;
import dev.teardown.posix.Poller;
import dev.teardown.posix.Threads;
import dev.teardown.posix.Waiters;
import dev.teardown.posix.Waker;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * One descriptor and its lifetime word, which owns the close protocol. Every call on the fd holds a
 * {@link Use} (try-with-resources). A call that would block waits here: a virtual thread parks on the
 * {@link CarrierPoller}s (or the platform {@link Poller}s), lending its use back while parked; a platform thread polls
 * the fd beside a {@link Waker} borrowed for the wait, holding its use. Closing marks the word
 * CLOSING and wakes every waiter ({@link #markClosing}), one closer claims the close and waits until no call
 * uses the fd ({@link #claimExclusive}), and the close sequence then ends with {@link #closeFd}: poller
 * registrations removed, close(2) exactly once. The number is never handed to the kernel after that.
 */
final class Descriptor {
    private static final int CLOSING = 1 << 30;
    private static final int COUNT_MASK = CLOSING - 1;
    private static final int ARMED_INPUT = 1;
    private static final int ARMED_OUTPUT = 2;
    private static final int ARMED_CARRIER_INPUT = 4;
    private static final int ARMED_CARRIER_OUTPUT = 8;
    private static final VarHandle STATE;
    private static final VarHandle CLAIMED;
    private static final VarHandle ARMED;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STATE = l.findVarHandle(Descriptor.class, "state", int.class);
            CLAIMED = l.findVarHandle(Descriptor.class, "claimed", boolean.class);
            ARMED = l.findVarHandle(Descriptor.class, "armed", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * Platform threads park on the poller too (instead of poll(2) beside a pooled waker) when the system property
     * {@code dev.teardown.platformThreadsPark} is {@code true}: the other half of an A/B measurement.
     */
    private static final boolean PLATFORM_THREADS_PARK = Boolean.getBoolean("dev.teardown.platformThreadsPark");

    /**
     * A virtual thread's read tries recv(2) before it waits even when the last read drained the socket, when the
     * system property {@code dev.teardown.readFirst} is {@code true}: the other half of an A/B measurement (see
     * {@link #waitBeforeRead}).
     */
    private static final boolean READ_FIRST = Boolean.getBoolean("dev.teardown.readFirst");

    final int fd;
    private final String what;
    @SuppressWarnings("unused") // accessed through STATE
    private volatile int state;
    @SuppressWarnings("unused") // accessed through CLAIMED
    private volatile boolean claimed;
    private volatile Thread closer;
    private volatile int armed;
    /** The last read took less than it asked for: the receive queue was empty after it ({@link #waitBeforeRead}). */
    private volatile boolean inputDrained;
    private boolean released;
    /** Threads waiting on this fd (a {@link Waiters} set of parked threads and wakers); guarded by this. */
    private Object waiters;
    private final Use use = new Use();

    Descriptor(int fd, String what) {
        this.fd = fd;
        this.what = what;
    }

    /** A use of the descriptor, given back by {@link #close()}. One per descriptor, reused: holds no state. */
    final class Use implements AutoCloseable {
        int fd() {
            return fd;
        }

        @Override
        public void close() {
            release();
        }
    }

    /** Takes a use of the fd for {@code call}; fails if the handle is closing or closed. */
    Use acquire(String call) throws SocketClosedException {
        for (;;) {
            int s = (int) STATE.getVolatile(this);
            if ((s & CLOSING) != 0) {
                throw SocketClosedException.closed(call, what);
            }
            if ((s & COUNT_MASK) == COUNT_MASK) {
                throw new IllegalStateException("too many concurrent calls on one " + what);
            }
            if (STATE.compareAndSet(this, s, s + 1)) {
                return use;
            }
        }
    }

    /** The use handed out by {@link #acquire}, for callers that give it back elsewhere. */
    Use use() {
        return use;
    }

    private void release() {
        int s = (int) STATE.getAndAdd(this, -1) - 1;
        if (s == CLOSING) {
            Thread t = closer;
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
    }

    boolean isOpen() {
        return ((int) STATE.getVolatile(this) & CLOSING) == 0;
    }

    boolean isClosing() {
        return !isOpen();
    }

    /**
     * Waits, holding a use, until the fd may be ready for {@code events} (POLLIN or POLLOUT): the caller then
     * retries its non-blocking call. Returns false once {@code deadline} has passed. A thread that parks lends its use
     * back while parked (a close need not wait for it to run again), and holds it again when this returns or throws.
     *
     * @throws SocketClosedException if the handle is closed before or during the wait
     */
    boolean await(String call, short events, Deadline deadline) throws TcpException {
        if (deadline.passed()) {
            return false;
        }
        boolean virtual = Threads.currentIsVirtual();
        if (virtual && CarrierPoller.ENABLED) {
            // The carrier poller's map is the waiter set: markClosing wakes the threads parked there for this fd. No
            // monitor and no second set per wait.
            if (isClosing()) {
                throw SocketClosedException.closed(call, what);
            }
            park(call, events, deadline, Thread.currentThread());
        } else if (PLATFORM_THREADS_PARK || virtual) {
            Thread t = Thread.currentThread();
            addWaiter(t, call);
            try {
                park(call, events, deadline, t);
            } finally {
                removeWaiter(t);
            }
        } else {
            Waker w = waker(call);
            try {
                addWaiter(w, call);
                try {
                    poll(call, events, deadline, w);
                } finally {
                    removeWaiter(w);
                }
            } finally {
                Waker.giveBack(w); // after removeWaiter: no closer can signal it any more
            }
        }
        if (isClosing()) {
            throw new ClosedWhileWaiting(call, what);
        }
        return true;
    }

    /**
     * What a call woken by a close throws: without a stack trace, which would cost more than the rest of the wake-up
     * (a server closing thousands of parked connections fills one per waiter), and which would only show teardown's
     * wait. The message names the call and the handle.
     */
    private static final class ClosedWhileWaiting extends SocketClosedException {
        private static final long serialVersionUID = 1L;

        ClosedWhileWaiting(String call, String what) {
            super(call, 0, what + " was closed by another thread while this call waited");
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    /**
     * Whether a read on the current thread should wait before its first recv(2): a virtual thread on the carrier
     * pollers, this descriptor registered there (edge-triggered), and the last read drained the receive queue. Any byte
     * (or FIN, or error) that arrived since then raised an edge, which either wakes the wait or left a mark that ends it
     * at once: the recv that would have failed with EAGAIN is saved, and nothing that arrived is waited past.
     */
    boolean waitBeforeRead() {
        return inputDrained && !READ_FIRST && (armed & ARMED_CARRIER_INPUT) != 0 && CarrierPoller.ENABLED
                && Threads.currentIsVirtual();
    }

    /** A read got {@code got} bytes of the {@code asked} it asked for (0: EOF or an error, which the next read must see). */
    void readDone(long got, int asked) {
        boolean drained = got > 0 && got < asked;
        if (drained != inputDrained) {
            inputDrained = drained;
        }
    }

    /**
     * The closer's wait, with the fd to itself: nobody can close it meanwhile. Returns false once the deadline has
     * passed.
     */
    boolean awaitOwned(String call, short events, Deadline deadline) throws TcpException {
        if (deadline.passed()) {
            return false;
        }
        if (Threads.currentIsVirtual()) {
            park(call, events, deadline, Thread.currentThread());
            return true;
        }
        try (Buffers.Cell pfd = Buffers.cell()) {
            if (Libc.poll(pfd.putInts(fd, events), 1, deadline.pollMillis()) < 0 && Libc.errno() != Errno.EINTR) {
                throw TcpException.of("poll (" + call + ")", Libc.errno());
            }
        }
        return true;
    }

    /** Arms a one-shot callback on the poller for the closer's asynchronous wait. Returns 0 or the errno. */
    int armOwned(short events, Runnable callback) {
        Poller p = poller(events);
        return p.arm(fd, callback);
    }

    private Poller poller(short events) {
        boolean in = events == Os.POLLIN;
        int bit = in ? ARMED_INPUT : ARMED_OUTPUT;
        if ((armed & bit) == 0) {
            ARMED.getAndBitwiseOr(this, bit); // a reader and a writer may arm at once
        }
        return in ? Poller.input() : Poller.output();
    }

    /**
     * Parks {@code t} until the fd may be ready. One frame from here to {@link LockSupport#park}: a parked virtual
     * thread keeps its frames in the heap, once per idle connection. A virtual thread waits on the {@link CarrierPoller}s
     * (registered once per descriptor, no system call per wait), otherwise on the platform {@link Poller}s.
     */
    private void park(String call, short events, Deadline deadline, Thread t) throws TcpException {
        CarrierPoller cp = null;
        Poller p = null;
        int e;
        if (CarrierPoller.ENABLED && Threads.currentIsVirtual()) {
            boolean in = events == Os.POLLIN;
            int bit = in ? ARMED_CARRIER_INPUT : ARMED_CARRIER_OUTPUT;
            boolean first = (armed & bit) == 0;
            if (first) {
                ARMED.getAndBitwiseOr(this, bit); // before registering: the close deregisters whatever may be registered
            }
            cp = in ? CarrierPoller.input(fd) : CarrierPoller.output(fd);
            e = cp.arm(fd, t, first);
            if (e == CarrierPoller.READY) {
                return; // readiness came after the failed call: retry it
            }
            // t is in the poller's map before the CLOSING check below; markClosing sets CLOSING before it looks there
            VarHandle.fullFence();
        } else {
            p = poller(events);
            e = p.arm(fd, t);
        }
        if (e != 0) {
            throw TcpException.of("epoll_ctl (" + call + ")", e);
        }
        try {
            boolean owned = t == closer;
            if (owned || !isClosing()) {
                // A parked call lends its use back: a close then waits for no parked call to run again (it is woken,
                // takes the use back and sees CLOSING without touching the number). Only parked waits do: a platform
                // thread in poll(2) passes the number to the kernel and keeps its use. The closer holds no use.
                if (!owned) {
                    release();
                }
                try {
                    if (deadline.isNone()) {
                        LockSupport.park(this);
                    } else {
                        LockSupport.parkNanos(this, deadline.remaining());
                    }
                } finally {
                    if (!owned) {
                        STATE.getAndAdd(this, 1); // even if closing: the caller's use is given back once, by its try-with-resources
                    }
                }
            }
            // An interrupted virtual thread would never park again: a call gives up, keeping the interrupt status;
            // the closer (which never throws) notices it in Closer.run.
            if (!owned && t.isInterrupted()) {
                throw new TcpException(call, Errno.EINTR, "interrupted while waiting (the thread's interrupt status stays set)");
            }
        } finally {
            if (cp != null) {
                cp.disarm(fd, t);
            } else {
                p.disarm(fd, t);
            }
        }
    }

    private void poll(String call, short events, Deadline deadline, Waker w) throws TcpException {
        if (isClosing()) {
            return;
        }
        try (Buffers.Cell pfd = Buffers.cell()) {
            int r = Libc.poll(pfd.putInts(fd, events, w.readFd, Os.POLLIN), 2, deadline.pollMillis());
            if (r < 0) {
                int e = Libc.errno();
                if (e != Errno.EINTR) {
                    throw TcpException.of("poll (" + call + ")", e);
                }
            } else if ((pfd.getInt(3) >>> 16) != 0) {
                w.drain();
            }
        }
    }

    private static Waker waker(String call) throws TcpException {
        int[] err = new int[1];
        Waker w = Waker.borrow(err);
        if (w == null) {
            throw TcpException.of(call + " (wake-up descriptor)", err[0]);
        }
        return w;
    }

    private synchronized void addWaiter(Object w, String call) throws SocketClosedException {
        if (isClosing()) {
            throw SocketClosedException.closed(call, what);
        }
        waiters = Waiters.add(waiters, w);
    }

    private synchronized void removeWaiter(Object w) {
        waiters = Waiters.remove(waiters, w);
    }

    /**
     * Marks the handle closing and wakes every call waiting on it (they throw {@link SocketClosedException}).
     * Returns false if another close got there first. Never blocks.
     */
    boolean markClosing() {
        for (;;) {
            int s = (int) STATE.getVolatile(this);
            if ((s & CLOSING) != 0) {
                return false;
            }
            if (STATE.compareAndSet(this, s, s | CLOSING)) {
                // Virtual threads parked on the carrier pollers: their waiter set is the poller's map. A thread that
                // arms after this look sees CLOSING and does not park.
                VarHandle.fullFence();
                int a = armed;
                if ((a & ARMED_CARRIER_INPUT) != 0) {
                    CarrierPoller.input(fd).wakeAll(fd);
                }
                if ((a & ARMED_CARRIER_OUTPUT) != 0) {
                    CarrierPoller.output(fd).wakeAll(fd);
                }
                Object w;
                synchronized (this) {
                    // under the lock: a waiter unregisters (here) before it gives its waker back to the pool
                    w = waiters;
                    Waiters.signalWakers(w);
                }
                // outside it: a woken thread's removeWaiter does not contend with this close for the monitor
                Waiters.unparkThreads(w);
                return true;
            }
        }
    }

    /**
     * After {@link #markClosing}, claims the close sequence and waits until no call uses the fd (woken calls
     * leave promptly). Returns false if someone else claimed it: the thread that won markClosing claims at once
     * (or its asynchronous task does); the safety net claims only if nobody did, so the descriptor is never left
     * open and never closed twice.
     */
    boolean claimExclusive() {
        if (!CLAIMED.compareAndSet(this, false, true)) {
            return false;
        }
        closer = Thread.currentThread();
        while (((int) STATE.getVolatile(this) & COUNT_MASK) != 0) {
            LockSupport.parkNanos(this, 10_000_000L);
        }
        return true;
    }

    /** markClosing, then claimExclusive: the synchronous close's one entry. False if already closing. */
    boolean enterClose() {
        return markClosing() && claimExclusive();
    }

    /**
     * The only route to close(2), for the thread that claimed the close: removes the poller registrations (they
     * belong to the open file description, which a dup or a child may keep alive), then close(2), exactly once.
     * Returns 0 or the errno.
     */
    int closeFd() {
        return closeFd(false);
    }

    /**
     * As {@link #closeFd()}; {@code releasesFile}: the caller knows this close(2) releases the socket's open file
     * description (teardown counts no other descriptor of it and close-on-exec is still set, so no child inherited
     * it). Then the kernel removes its epoll registrations with the file, and the carrier pollers' epoll_ctl(DEL)
     * is left out.
     */
    int closeFd(boolean releasesFile) {
        deregister(releasesFile);
        // Never retried on EINTR: on Linux the number is already free and may belong to another file.
        int rc = CloseHook.close(fd);
        return rc == 0 ? 0 : Libc.errno();
    }

    /** As {@link #closeFd()} for a caller that reports nothing (the fast close): errno is not kept. */
    void closeFdQuietly() {
        deregister(false);
        CloseHook.closeQuietly(fd);
    }

    /** True once {@link #closeFd} ran; read holding the monitor the closer held (the socket's SharedSocket). */
    boolean released() {
        return released;
    }

    private void deregister(boolean releasesFile) {
        if (released) {
            throw new IllegalStateException(what + " fd " + fd + " released twice");
        }
        released = true;
        int a = armed;
        if ((a & ARMED_INPUT) != 0) {
            Poller.input().deregister(fd);
        }
        if ((a & ARMED_OUTPUT) != 0) {
            Poller.output().deregister(fd);
        }
        if ((a & ARMED_CARRIER_INPUT) != 0) {
            if (releasesFile) {
                CarrierPoller.input(fd).forget(fd);
            } else {
                CarrierPoller.input(fd).deregister(fd);
            }
        }
        if ((a & ARMED_CARRIER_OUTPUT) != 0) {
            if (releasesFile) {
                CarrierPoller.output(fd).forget(fd);
            } else {
                CarrierPoller.output(fd).deregister(fd);
            }
        }
    }

    @Override
    public String toString() {
        return what + " fd " + fd;
    }
}
