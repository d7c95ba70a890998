package dev.teardown;

import dev.teardown.posix.Errno;
import dev.teardown.posix.Libc;
import dev.teardown.posix.Os;
import dev.teardown.posix.Wakeup;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * One descriptor and its lifetime word. Every call on the fd holds a use ({@link #acquire}); close
 * sets the CLOSING bit, wakes blocked calls through a private wake-up descriptor, waits until no call
 * uses the fd, and then has it to itself for the close sequence. close(2) runs exactly once, and the
 * number is never handed to the kernel after that.
 */
final class Descriptor {
    private static final int CLOSING = 1 << 30;
    private static final int COUNT_MASK = CLOSING - 1;
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Descriptor.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final int fd;
    private final String what;
    @SuppressWarnings("unused") // accessed through STATE
    private volatile int state;
    private volatile Wakeup wakeup;
    private volatile Thread closer;
    private volatile boolean released;
    /** Set by whoever runs the close sequence, so that exactly one thread does (see {@link #claim}). */
    private final java.util.concurrent.atomic.AtomicBoolean claimed = new java.util.concurrent.atomic.AtomicBoolean();

    Descriptor(int fd, String what) {
        this.fd = fd;
        this.what = what;
    }

    /** Takes a use of the fd for {@code call}; fails if the handle is closing or closed. */
    int acquire(String call) throws SocketClosedException {
        for (;;) {
            int s = (int) STATE.getVolatile(this);
            if ((s & CLOSING) != 0) {
                throw SocketClosedException.closed(call, what);
            }
            if ((s & COUNT_MASK) == COUNT_MASK) {
                throw new IllegalStateException("too many concurrent calls on one " + what);
            }
            if (STATE.compareAndSet(this, s, s + 1)) {
                return fd;
            }
        }
    }

    /** Gives back a use; the last one out after a close lets the closer proceed. */
    void release() {
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
     * Marks the handle closing and wakes calls blocked in poll. Returns false if another close
     * got there first. Never blocks.
     */
    boolean beginClose() {
        for (;;) {
            int s = (int) STATE.getVolatile(this);
            if ((s & CLOSING) != 0) {
                return false;
            }
            if (STATE.compareAndSet(this, s, s | CLOSING)) {
                Wakeup w = wakeup;
                if (w != null) {
                    w.signal();
                }
                return true;
            }
        }
    }

    /**
     * Claims the close sequence after the handle is closing. The thread that won {@link #beginClose} claims it
     * at once (or its asynchronous task does); the safety net claims it only if nobody did, e.g. when an
     * executor dropped an asynchronous close, so the descriptor is never left open and never closed twice.
     */
    boolean claim() {
        return claimed.compareAndSet(false, true);
    }

    /** After {@link #beginClose}, waits until no call uses the fd. Woken calls leave promptly. */
    void awaitExclusive() {
        closer = Thread.currentThread();
        while (((int) STATE.getVolatile(this) & COUNT_MASK) != 0) {
            LockSupport.parkNanos(this, 10_000_000L);
        }
        closer = null;
    }

    /** close(2), exactly once, by the thread that owns the close. Returns 0 or the errno. */
    int closeFd() {
        if (released) {
            throw new IllegalStateException(what + " fd " + fd + " released twice");
        }
        released = true;
        Wakeup w = wakeup;
        if (w != null) {
            w.close();
        }
        // Never retried on EINTR: on Linux the number is already free and may belong to another file.
        int rc = CloseHook.close(fd);
        return rc == 0 ? 0 : Libc.errno();
    }

    /**
     * Waits until the fd is ready for {@code events}, the handle is closed from another thread, or
     * {@code timeoutNanos} passes (negative: no limit). Returns the fd's revents, or 0 on timeout.
     */
    int await(String call, short events, long timeoutNanos) throws TcpException {
        Wakeup w = ensureWakeup(call);
        if (isClosing()) {
            throw SocketClosedException.closed(call, what);
        }
        int[] pfd = {fd, events & 0xffff, w.readFd, Os.POLLIN};
        long deadline = timeoutNanos < 0 ? 0 : System.nanoTime() + timeoutNanos;
        for (;;) {
            int ms;
            if (timeoutNanos < 0) {
                ms = -1;
            } else {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return 0;
                }
                ms = (int) Math.min(Integer.MAX_VALUE, (left + 999_999) / 1_000_000);
            }
            int r = Libc.poll(pfd, 2, ms);
            if (r < 0) {
                int e = Libc.errno();
                if (e == Errno.EINTR) {
                    continue;
                }
                throw TcpException.of("poll", e);
            }
            if ((pfd[3] >>> 16) != 0 || isClosing()) {
                throw new SocketClosedException(call, 0, what + " was closed by another thread");
            }
            if (r > 0) {
                int revents = pfd[1] >>> 16;
                if (revents != 0) {
                    return revents;
                }
            }
            pfd[1] = events & 0xffff;
        }
    }

    private Wakeup ensureWakeup(String call) throws TcpException {
        Wakeup w = wakeup;
        if (w != null) {
            return w;
        }
        synchronized (this) {
            w = wakeup;
            if (w == null) {
                int[] err = new int[1];
                w = Wakeup.create(err);
                if (w == null) {
                    throw TcpException.of(call + " (wake-up descriptor)", err[0]);
                }
                wakeup = w;
            }
        }
        return w;
    }

    @Override
    public String toString() {
        return what + " fd " + fd;
    }
}
