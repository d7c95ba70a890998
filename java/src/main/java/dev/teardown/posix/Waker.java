package dev.teardown.posix;

/**
 * A wake-up descriptor that a platform thread polls beside the socket it waits on, and that a closing
 * thread signals: an eventfd on Linux (a pipe on macOS). Borrowed for one wait and given back to a pool,
 * never one per socket. The pool starts with {@link #PREFILL} (made together on first use) and keeps every
 * waker given back, up to {@link #RETAIN_MAX}: it holds as many as platform threads have ever waited at
 * once, so a busy server never makes one per wait, and the process's descriptor count only grows when more
 * platform threads wait at once than ever before. Close-on-exec and non-blocking. Virtual threads never use
 * one: they park.
 *
 * <p>Whoever signals a waker must do so while the waiter is still registered with it (under the lock that
 * guards the registration), and the waiter unregisters before {@link #giveBack}: a waker given back may be
 * closed, and its number may then name someone else's file.
 */
public final class Waker {
    /** Wakers made on first use. */
    public static final int PREFILL = 16;
    /** Idle wakers the pool keeps at most; beyond it a waker given back is closed. */
    public static final int RETAIN_MAX = 4096;

    /** The end to poll for POLLIN. */
    public final int readFd;
    private final int writeFd;

    private static final java.util.concurrent.ConcurrentLinkedQueue<Waker> POOL = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private static final java.util.concurrent.atomic.AtomicInteger IDLE = new java.util.concurrent.atomic.AtomicInteger();
    private static volatile boolean filled;
    /** Keeps the direct buffers behind {@link #ONE} and {@link #SINK} reachable. */
    private static final java.util.List<java.nio.ByteBuffer> KEEP_ALIVE = new java.util.ArrayList<>();
    /** The 8 bytes of a signal (1, native order), read by write(2) from any thread. */
    private static final long ONE = nativeBytes(1);
    /** Where drain's read(2) puts what it consumes; shared, its content never read. */
    private static final long SINK = nativeBytes(0);

    private static long nativeBytes(long value) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(8).order(java.nio.ByteOrder.nativeOrder());
        b.putLong(0, value);
        KEEP_ALIVE.add(b);
        return Libc.address(b);
    }

    private Waker(int readFd, int writeFd) {
        this.readFd = readFd;
        this.writeFd = writeFd;
    }

    /** A waker for one wait; null with errno in {@code errOut[0]} if none could be made. */
    public static Waker borrow(int[] errOut) {
        if (!filled) {
            fill();
        }
        Waker w = POOL.poll();
        if (w != null) {
            IDLE.decrementAndGet();
            return w;
        }
        return create(errOut);
    }

    /** The read ends of the idle wakers in the pool now (diagnostics, and the close-on-exec test). */
    public static java.util.List<Integer> idleDescriptors() {
        java.util.List<Integer> out = new java.util.ArrayList<>();
        for (Waker w : POOL) {
            out.add(w.readFd);
        }
        return out;
    }

    /** Returns a waker after its wait; the caller has unregistered it everywhere a closer could signal it. */
    public static void giveBack(Waker w) {
        if (IDLE.incrementAndGet() <= RETAIN_MAX) {
            POOL.offer(w);
        } else {
            IDLE.decrementAndGet();
            closeFds(w.readFd, w.writeFd);
        }
    }

    private static synchronized void fill() {
        if (filled) {
            return;
        }
        int[] err = new int[1];
        for (int i = 0; i < PREFILL; i++) {
            Waker w = create(err);
            if (w == null) {
                break;
            }
            IDLE.incrementAndGet();
            POOL.offer(w);
        }
        filled = true;
    }

    /** A new waker owned by the caller (never closed by teardown). */
    static Waker create(int[] errOut) {
        if (Os.LINUX) {
            int fd = LinuxLibc.eventfd(0, Os.EFD_CLOEXEC | Os.EFD_NONBLOCK);
            if (fd < 0) {
                errOut[0] = Libc.errno();
                return null;
            }
            return new Waker(fd, fd);
        }
        int[] fds = new int[2];
        if (Libc.pipe(fds) < 0) {
            errOut[0] = Libc.errno();
            return null;
        }
        for (int fd : fds) {
            if (Libc.fcntl(fd, Os.F_SETFD, Os.FD_CLOEXEC) < 0
                    || Libc.fcntl(fd, Os.F_SETFL, Libc.fcntl(fd, Os.F_GETFL, 0) | Os.O_NONBLOCK) < 0) {
                errOut[0] = Libc.errno();
                closeFds(fds[0], fds[1]);
                return null;
            }
        }
        return new Waker(fds[0], fds[1]);
    }

    /** Makes {@link #readFd} readable. Never blocks; a full pipe or a saturated eventfd is already readable. */
    public void signal() {
        Libc.write(writeFd, ONE, 8);
    }

    /** Consumes pending signals, so the next poll waits again. */
    public void drain() {
        while (Libc.read(readFd, SINK, 8) > 0 && !Os.LINUX) {
            // a pipe may hold several signals; an eventfd's counter is consumed by one read
        }
    }

    private static void closeFds(int r, int w) {
        Libc.close(r);
        if (w != r) {
            Libc.close(w);
        }
    }
}
