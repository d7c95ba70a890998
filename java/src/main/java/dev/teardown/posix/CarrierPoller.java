package dev.teardown.posix;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

/**
 * Readiness for parked virtual threads from pollers that are virtual threads themselves (JDK 21+, Linux): each
 * carrier poller owns an epoll instance and runs on the virtual-thread scheduler, polls it without blocking
 * ({@code epoll_wait} with timeout 0), unparks the threads whose descriptors are ready (on the carrier it runs on,
 * so the woken thread is queued locally, no hand-off through a platform thread), yields, and polls again. With
 * nothing to do it parks on the master: one platform thread in {@code epoll_wait} on the carrier pollers' epoll
 * descriptors (each registered one-shot). The JDK's own socket pollers work this way (its {@code VTHREAD_POLLERS}
 * mode).
 *
 * <p>A descriptor is registered once, edge-triggered ({@code EPOLLET}), the first time a virtual thread waits on it,
 * and stays registered until {@link #deregister} (before close(2)): a wait costs no {@code epoll_ctl}. An edge
 * that comes while nobody waits is kept as a mark, so a thread that arms after it does not park ({@link #arm}
 * returns {@link #READY}) and retries its call at once: no readiness is lost between a failed call and the park.
 * {@code -Ddev.teardown.poller.oneshot=true} re-arms with {@code EPOLLONESHOT} per wait instead, as the JDK does
 * (the other half of an A/B measurement).
 *
 * <p>Chosen for virtual threads unless {@code -Ddev.teardown.poller=platform}, which keeps them on the platform
 * poller threads of {@link Poller}. Platform threads never use these.
 */
public final class CarrierPoller {
    /** {@link #arm}'s answer when readiness came before the wait: do not park, retry the call. */
    public static final int READY = -1;

    /** Whether virtual threads wait on carrier pollers in this JVM (fixed at start-up). */
    public static final boolean ENABLED = Os.LINUX && Threads.VIRTUAL_THREADS
            && !"platform".equals(System.getProperty("dev.teardown.poller", "carrier"));

    /** Whether a wait re-arms a one-shot registration (the JDK's scheme) instead of registering once, edge-triggered. */
    static final boolean ONESHOT = Boolean.getBoolean("dev.teardown.poller.oneshot");

    private static final int MAX_EVENTS = 64;
    /** In {@link #waiting}: an edge arrived and nobody was waiting. */
    private static final Object EDGE = new Object();

    private final int epfd;
    private final int interest;
    private final Poller master;
    /** Waiters per descriptor: a {@link Waiters} set of threads, or {@link #EDGE}. */
    private final ConcurrentHashMap<Integer, Object> waiting = new ConcurrentHashMap<>();

    private CarrierPoller(int events, Poller master, String name) {
        this.interest = events | (ONESHOT ? Os.EPOLLONESHOT : Os.EPOLLET);
        this.master = master;
        this.epfd = LinuxLibc.epoll_create1(Os.EPOLL_CLOEXEC);
        if (epfd < 0) {
            int e = Libc.errno();
            throw new IllegalStateException("teardown: epoll_create1 for a carrier poller failed: " + Errno.name(e) + " ("
                    + Errno.describe(e) + ")");
        }
        Threads.startVirtual(this::loop, name);
    }

    /** The poller for input readiness of {@code fd} (read, accept, a peer's FIN, errors). */
    public static CarrierPoller input(int fd) {
        CarrierPoller[] a = Holder.INPUT;
        return a[fd & (a.length - 1)];
    }

    /** The poller for output readiness of {@code fd} (write, connect). */
    public static CarrierPoller output(int fd) {
        CarrierPoller[] a = Holder.OUTPUT;
        return a[fd & (a.length - 1)];
    }

    /**
     * Adds the current virtual thread {@code t} to the waiters of {@code fd}. {@code first}: this descriptor was
     * never registered here (the caller tracks it, and calls {@link #deregister} before close(2) once it did). Returns
     * 0 (park now), {@link #READY} (an edge came since the last wait: retry the call instead of parking), or the errno
     * of a failed registration (nothing is left armed).
     */
    public int arm(int fd, Thread t, boolean first) {
        if (ONESHOT) {
            waiting.merge(fd, t, Waiters::add);
            int e = control(Os.EPOLL_CTL_MOD, fd);
            if (e == Errno.ENOENT) {
                e = control(Os.EPOLL_CTL_ADD, fd);
            }
            if (e != 0) {
                disarm(fd, t);
            }
            return e;
        }
        if (first) {
            int e = control(Os.EPOLL_CTL_ADD, fd);
            if (e != 0 && e != Errno.EEXIST) { // EEXIST: another thread registered it a moment ago
                return e;
            }
        }
        for (;;) {
            Object v = waiting.get(fd);
            if (v == EDGE) {
                if (waiting.remove(fd, EDGE)) {
                    return READY;
                }
            } else if (v == null) {
                if (waiting.putIfAbsent(fd, t) == null) {
                    return 0;
                }
            } else if (waiting.replace(fd, v, Waiters.add(v, t))) {
                return 0;
            }
        }
    }

    /** Removes {@code t} if it is still a waiter (it was woken by a close, a timeout, an interrupt). */
    public void disarm(int fd, Thread t) {
        Object v = waiting.get(fd);
        if (v == null || v == EDGE || (v instanceof Thread && v != t)) {
            return; // the common case: the wake-up that ended the park took t out already (nothing to allocate)
        }
        waiting.computeIfPresent(fd, (k, w) -> w == EDGE ? w : Waiters.remove(w, t));
    }

    /** Wakes every thread waiting on {@code fd} here (a close); an edge mark stays for {@link #deregister}. */
    public void wakeAll(int fd) {
        for (;;) {
            Object v = waiting.get(fd);
            if (v == null || v == EDGE) {
                return;
            }
            if (waiting.remove(fd, v)) {
                Waiters.wake(v);
                return;
            }
        }
    }

    /**
     * Forgets the waiters and marks of {@code fd} without epoll_ctl: for a close(2) known to release the open file
     * description (no other descriptor refers to it), which removes the registration with it.
     */
    public void forget(int fd) {
        waiting.remove(fd);
    }

    /** Removes the registration of {@code fd} and forgets its waiters and marks. Call before close(2). */
    public void deregister(int fd) {
        LinuxLibc.epoll_ctl(epfd, Os.EPOLL_CTL_DEL, fd, 0); // ENOENT: a one-shot wait that failed to register
        waiting.remove(fd);
    }

    private int control(int op, int fd) {
        try (Buffers.Cell ev = Buffers.cell()) {
            ev.putInt(0, interest);
            ev.putLong(Os.EPOLL_DATA_OFFSET, fd);
            return LinuxLibc.epoll_ctl(epfd, op, fd, ev.address) == 0 ? 0 : Libc.errno();
        }
    }

    private void ready(int fd) {
        if (ONESHOT) {
            Waiters.wake(waiting.remove(fd));
            return;
        }
        for (;;) {
            Object v = waiting.get(fd);
            if (v == EDGE) {
                return;
            }
            if (v == null) {
                if (waiting.putIfAbsent(fd, EDGE) == null) {
                    return;
                }
            } else if (waiting.remove(fd, v)) {
                Waiters.wake(v);
                return;
            }
        }
    }

    private void loop() {
        ByteBuffer events = ByteBuffer.allocateDirect(MAX_EVENTS * Os.EPOLL_EVENT_SIZE).order(ByteOrder.nativeOrder());
        long address = Buffers.address(events);
        Thread self = Thread.currentThread();
        int n = 0;
        for (;;) {
            if (n > 0) {
                Thread.yield(); // let the threads just woken run on this carrier before polling again
            } else {
                // Nothing ready: wait for the master to see this epoll instance readable. An event that came after the
                // poll above makes the registration report at once, and an unpark before the park is kept.
                if (master.arm(epfd, self) == 0) {
                    LockSupport.park(this);
                }
                master.disarm(epfd, self);
            }
            n = LinuxLibc.epoll_wait(epfd, address, MAX_EVENTS, 0);
            if (n < 0) {
                int e = Libc.errno();
                if (e != Errno.EINTR) {
                    System.getLogger("dev.teardown").log(System.Logger.Level.ERROR,
                            "teardown: epoll_wait failed in a carrier poller: " + Errno.name(e) + "; the poller stops");
                    return;
                }
                n = 0;
            }
            for (int i = 0; i < n; i++) {
                ready((int) events.getLong(i * Os.EPOLL_EVENT_SIZE + Os.EPOLL_DATA_OFFSET));
            }
        }
    }

    private static int count(String property, int fallback) {
        int n = Integer.getInteger(property, fallback);
        if (n < 1 || n > 64 || Integer.bitCount(n) != 1) {
            throw new IllegalArgumentException("teardown: " + property + " must be a power of two from 1 to 64, not " + n);
        }
        return n;
    }

    private static final class Holder {
        static final CarrierPoller[] INPUT;
        static final CarrierPoller[] OUTPUT;

        static {
            if (!ENABLED) {
                throw new IllegalStateException("teardown: carrier pollers are off (JDK 21+ on Linux, -Ddev.teardown.poller)");
            }
            Poller master = new EpollPoller(Os.EPOLLIN, "teardown-poller-master");
            int cpus = Runtime.getRuntime().availableProcessors();
            INPUT = new CarrierPoller[count("dev.teardown.poller.inputs", Math.min(Integer.highestOneBit(cpus), 32))];
            OUTPUT = new CarrierPoller[count("dev.teardown.poller.outputs", 1)];
            for (int i = 0; i < INPUT.length; i++) {
                INPUT[i] = new CarrierPoller(Os.EPOLLIN | Os.EPOLLRDHUP, master, "teardown-carrier-poller-input-" + i);
            }
            for (int i = 0; i < OUTPUT.length; i++) {
                OUTPUT[i] = new CarrierPoller(Os.EPOLLOUT, master, "teardown-carrier-poller-output-" + i);
            }
        }
    }
}
