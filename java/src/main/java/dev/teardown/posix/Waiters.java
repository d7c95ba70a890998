package dev.teardown.posix;

import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;

/**
 * A small set of waiters kept in one field: null, one waiter, or an array of them. A waiter is a parked
 * {@link Thread} (unparked to wake it), a {@link Waker} (signalled), or a {@link Runnable} callback (run; it
 * must be quick and never block). Sets are immutable: add and remove return the new set.
 */
public final class Waiters {
    private Waiters() {}

    public static Object add(Object set, Object w) {
        if (set == null) {
            return w;
        }
        if (set instanceof Object[]) {
            Object[] a = (Object[]) set;
            Object[] b = Arrays.copyOf(a, a.length + 1);
            b[a.length] = w;
            return b;
        }
        return new Object[] {set, w};
    }

    /** The set without one occurrence of {@code w}; null when empty. */
    public static Object remove(Object set, Object w) {
        if (set == w) {
            return null;
        }
        if (!(set instanceof Object[])) {
            return set;
        }
        Object[] a = (Object[]) set;
        for (int i = 0; i < a.length; i++) {
            if (a[i] == w) {
                if (a.length == 2) {
                    return a[1 - i];
                }
                Object[] b = new Object[a.length - 1];
                System.arraycopy(a, 0, b, 0, i);
                System.arraycopy(a, i + 1, b, i, a.length - i - 1);
                return b;
            }
        }
        return set;
    }

    /** Wakes every waiter in the set. */
    public static void wake(Object set) {
        if (set == null) {
            return;
        }
        if (set instanceof Object[]) {
            for (Object w : (Object[]) set) {
                wakeOne(w);
            }
        } else {
            wakeOne(set);
        }
    }

    /** Signals the {@link Waker}s and runs the callbacks of the set; its threads are left to {@link #unparkThreads}. */
    public static void signalWakers(Object set) {
        if (set instanceof Object[]) {
            for (Object w : (Object[]) set) {
                if (!(w instanceof Thread)) {
                    wakeOne(w);
                }
            }
        } else if (set != null && !(set instanceof Thread)) {
            wakeOne(set);
        }
    }

    /** Unparks the threads of the set (a thread that already left only finds a spare permit, which parking allows). */
    public static void unparkThreads(Object set) {
        if (set instanceof Object[]) {
            for (Object w : (Object[]) set) {
                if (w instanceof Thread) {
                    LockSupport.unpark((Thread) w);
                }
            }
        } else if (set instanceof Thread) {
            LockSupport.unpark((Thread) set);
        }
    }

    private static void wakeOne(Object w) {
        if (w instanceof Thread) {
            LockSupport.unpark((Thread) w);
        } else if (w instanceof Waker) {
            ((Waker) w).signal();
        } else if (w instanceof Runnable) {
            try {
                ((Runnable) w).run();
            } catch (RuntimeException | Error e) {
                System.getLogger("dev.teardown").log(System.Logger.Level.ERROR, "teardown: a wake-up callback failed", e);
            }
        }
    }
}
