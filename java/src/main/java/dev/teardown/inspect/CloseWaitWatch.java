package dev.teardown.inspect;

import dev.teardown.TcpState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A watchdog for CLOSE_WAIT leaks, started with one line:
 * <pre>{@code
 * CloseWaitWatch watch = CloseWaitWatch.start(Duration.ofSeconds(30), Duration.ofSeconds(5), report -> alert(report));
 * }</pre>
 * Every interval it reads the kernel's CLOSE_WAIT sockets ({@link TcpTable}, sock_diag filtered to that
 * state) and, if there are any, matches their inodes against this process's {@code /proc/self/fd}, so every
 * socket of the process counts: teardown's, JDK channels', Netty's, Jetty's. Each socket that stays in
 * CLOSE_WAIT longer than the threshold is reported once, to the listener and to the {@link System.Logger}
 * {@code dev.teardown.inspect.CloseWaitWatch} at WARNING: addresses, age, other holders (a {@code /proc}
 * scan), and the allocation site when {@link AllocationSites} tracking is on and teardown opened it.
 *
 * <p>The sampling runs on one daemon thread, created by {@link #start}; it reads the network namespace of
 * the thread that called {@code start}. {@link #close()} stops it. The age is measured from the first sample
 * that saw the socket in CLOSE_WAIT, so a socket is reported between {@code threshold} and
 * {@code threshold + interval} after it got there. A quiet sample (no CLOSE_WAIT in the namespace) costs one
 * sock_diag dump.
 *
 * <p>Starting a watch also registers teardown's periodic JFR event ({@link TeardownJfr#register()}).
 */
public final class CloseWaitWatch implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(CloseWaitWatch.class.getName());
    private static final Set<TcpState> CLOSE_WAIT = EnumSet.of(TcpState.CLOSE_WAIT);

    private record Tracked(long firstNanos, Instant firstSeen, boolean reported) {}

    private final Duration threshold;
    private final Duration interval;
    private final Consumer<CloseWaitReport> listener;
    private final Thread thread;
    private final Object lock = new Object();
    private final Map<Long, Tracked> tracked = new HashMap<>();
    private volatile boolean stopped;
    private volatile List<CloseWaitReport> stuck = List.of();
    private volatile long samples;
    private String lastFailure;

    private CloseWaitWatch(Duration threshold, Duration interval, Consumer<CloseWaitReport> listener) {
        this.threshold = threshold;
        this.interval = interval;
        this.listener = listener;
        this.thread = new Thread(this::run, "teardown-close-wait-watch");
        this.thread.setDaemon(true);
    }

    /**
     * Starts watching: every {@code interval}, reports sockets of this process in CLOSE_WAIT for longer
     * than {@code threshold} to {@code listener} (may be null: logger only) and to the System.Logger.
     *
     * @throws IllegalArgumentException if {@code threshold} is null or negative, or {@code interval} is null
     *     or not positive
     */
    public static CloseWaitWatch start(Duration threshold, Duration interval, Consumer<CloseWaitReport> listener) {
        if (threshold == null || threshold.isNegative()) {
            throw new IllegalArgumentException("threshold must be >= 0, got " + threshold);
        }
        if (interval == null || interval.isZero() || interval.isNegative()) {
            throw new IllegalArgumentException("interval must be > 0, got " + interval);
        }
        TeardownJfr.register();
        CloseWaitWatch w = new CloseWaitWatch(threshold, interval, listener);
        w.thread.start();
        return w;
    }

    /** Starts watching with reports to the System.Logger only, sampling every {@code threshold / 4} (at least 1 s). */
    public static CloseWaitWatch start(Duration threshold) {
        Objects.requireNonNull(threshold, "threshold");
        Duration interval = threshold.dividedBy(4);
        return start(threshold, interval.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : interval, null);
    }

    /** The threshold a socket must stay in CLOSE_WAIT before it is reported. */
    public Duration threshold() {
        return threshold;
    }

    /** The sampling interval. */
    public Duration interval() {
        return interval;
    }

    /** Sockets reported so far that were still in CLOSE_WAIT at the last sample. */
    public List<CloseWaitReport> stuck() {
        return stuck;
    }

    /** Samples taken so far. */
    public long samples() {
        return samples;
    }

    /** True until {@link #close()}. */
    public boolean isRunning() {
        return !stopped && thread.isAlive();
    }

    /** Stops the watch and waits briefly for its thread to end. Idempotent. */
    @Override
    public void close() {
        stopped = true;
        synchronized (lock) {
            lock.notifyAll();
        }
        if (Thread.currentThread() != thread) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        long next = System.nanoTime();
        while (!stopped) {
            try {
                sample();
                lastFailure = null;
            } catch (RuntimeException e) {
                String m = String.valueOf(e.getMessage());
                if (!m.equals(lastFailure)) {
                    lastFailure = m;
                    LOG.log(System.Logger.Level.ERROR, "CloseWaitWatch sample failed; retrying every " + interval, e);
                }
            }
            samples++;
            next += interval.toNanos();
            synchronized (lock) {
                long wait;
                while (!stopped && (wait = next - System.nanoTime()) > 0) {
                    try {
                        TimeUnit.NANOSECONDS.timedWait(lock, wait);
                    } catch (InterruptedException e) {
                        stopped = true;
                    }
                }
            }
            if (next - System.nanoTime() < -interval.toNanos()) {
                next = System.nanoTime(); // fell behind (suspended): do not catch up in a burst
            }
        }
    }

    private void sample() {
        long now = System.nanoTime();
        List<TcpEntry> cw = TcpTable.snapshot(CLOSE_WAIT);
        if (cw.isEmpty()) {
            tracked.clear();
            stuck = List.of();
            return;
        }
        Map<Long, List<Integer>> own = OwnSockets.inodes();
        AllocationSites.retainOpen(own.keySet(), now);
        Map<Long, TcpEntry> mine = new HashMap<>();
        for (TcpEntry e : cw) {
            if (e.inode() != 0 && own.containsKey(e.inode())) {
                mine.put(e.inode(), e);
            }
        }
        tracked.keySet().retainAll(mine.keySet());
        Set<Long> due = new HashSet<>();
        for (Map.Entry<Long, TcpEntry> e : mine.entrySet()) {
            Tracked t = tracked.computeIfAbsent(e.getKey(), k -> new Tracked(now, Instant.now(), false));
            if (!t.reported && now - t.firstNanos >= threshold.toNanos()) {
                due.add(e.getKey());
            }
        }
        List<CloseWaitReport> still = new ArrayList<>();
        for (CloseWaitReport r : stuck) {
            if (mine.containsKey(r.inode()) && !due.contains(r.inode())) {
                still.add(r);
            }
        }
        if (!due.isEmpty()) {
            Map<Long, SocketOwners> owners = SocketOwners.of(due);
            long self = SocketOwners.selfPid();
            for (Long inode : due) {
                Tracked t = tracked.get(inode);
                tracked.put(inode, new Tracked(t.firstNanos, t.firstSeen, true));
                SocketOwners o = owners.get(inode);
                CloseWaitReport r = new CloseWaitReport(mine.get(inode), own.get(inode), t.firstSeen,
                        Duration.ofNanos(now - t.firstNanos), o.outside(self), o.unreadableProcesses(),
                        AllocationSites.siteOf(inode).orElse(null));
                still.add(r);
                report(r);
            }
        }
        stuck = List.copyOf(still);
    }

    private void report(CloseWaitReport r) {
        LOG.log(System.Logger.Level.WARNING, r.toString(), r.allocationSite().orElse(null));
        if (listener != null) {
            try {
                listener.accept(r);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "CloseWaitWatch listener failed", e);
            }
        }
    }
}
