package dev.teardown;

import static dev.teardown.Net.V4;
import static dev.teardown.Net.anyPort;
import static dev.teardown.Net.ms;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.teardown.posix.Errno;
import dev.teardown.spawn.UseCount;
import dev.teardown.testing.Kernel;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Threads that read, write, dup, set options on, read TCP_INFO of, and close in every mode a pool of
 * shared sockets at random, while canary files stay open and other files are opened and closed all
 * through the run. Used by {@link ConcurrencyStressTest} (a few seconds, blocking reads included) and
 * {@link RaceTest} (a million cheap operations, each with a time bound a watchdog enforces).
 *
 * <p>{@link #run} checks, after every worker has left: no unexpected failure (kernel errors such as
 * EPIPE or ECONNRESET are expected; EBADF, ENOTSOCK or EFAULT would mean a descriptor was misused), no
 * canary disturbed, every handle closed exactly once, as many real close(2) calls ({@link CloseHook})
 * as descriptors created, the fd count back where it started, and no operation that outlived its bound.
 */
final class RaceHarness {
    private static final Set<Integer> MISUSE_ERRNOS = Set.of(Errno.EBADF, Errno.ENOTSOCK, Errno.EFAULT);

    /** What a run does and how long it lasts: a time or an operation count. */
    static final class Config {
        int threads = 8;
        int slots = 24;
        long runMillis;
        long operations;
        int maxConnections = 6000;
        /** 1% of operations are reads without a timeout, bounded only by another thread's close. */
        boolean blockingReads;
        /** Longest an operation may take before the watchdog calls it stuck. */
        Duration opBound = Duration.ofSeconds(10);
        /** Makes the racing threads (virtual threads in the JDK 21+ run). */
        java.util.function.BiFunction<Runnable, String, Thread> racers = (r, name) -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };

        Config racers(java.util.function.BiFunction<Runnable, String, Thread> factory) {
            this.racers = factory;
            return this;
        }

        Config runFor(long millis) {
            this.runMillis = millis;
            return this;
        }

        Config operations(long n) {
            this.operations = n;
            return this;
        }

        Config maxConnections(int n) {
            this.maxConnections = n;
            return this;
        }

        Config blockingReads(boolean on) {
            this.blockingReads = on;
            return this;
        }

        Config opBound(Duration d) {
            this.opBound = d;
            return this;
        }
    }

    /** What a run achieved. */
    record Result(long operations, long nanos, Map<String, Long> ops, Map<String, Long> errors,
            Map<String, Long> maxMicros, long descriptorsCreated, long realCloses) {
        double opsPerSecond() {
            return operations * 1e9 / nanos;
        }

        long count(String op) {
            return ops.getOrDefault(op, 0L);
        }

        @Override
        public String toString() {
            return String.format("%,d operations in %.1f s (%,.0f ops/s) on %d cores; ops %s; tolerated errors %s; "
                    + "slowest operation of each kind (µs) %s; descriptors created %,d, close(2) calls %,d",
                    operations, nanos / 1e9, opsPerSecond(), Runtime.getRuntime().availableProcessors(), ops, errors,
                    maxMicros, descriptorsCreated, realCloses);
        }
    }

    /** What a worker is doing now, for the watchdog: 0 when between operations. */
    private static final class Clock {
        volatile long startedAt;
        volatile String op = "";
        final Map<String, Long> maxNanos = new HashMap<>();
        Thread thread;
    }

    private final Config cfg;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicLong created = new AtomicLong();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicReferenceArray<TcpSocket> slots;
    private final Map<TcpSocket, AtomicInteger> realCloses = new ConcurrentHashMap<>();
    private final Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
    private final Queue<CompletableFuture<?>> asyncCloses = new ConcurrentLinkedQueue<>();
    private final Map<String, LongAdder> ops = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    private final LongAdder total = new LongAdder();
    private TcpListener listener;
    private volatile long startNanos;

    RaceHarness(Config cfg) {
        this.cfg = cfg;
        this.slots = new AtomicReferenceArray<>(cfg.slots);
    }

    /** Runs the race with canary files in {@code dir}, checks everything, and returns the figures. */
    Result run(Path dir) throws Exception {
        try {
            return run0(dir);
        } finally {
            stop.set(true);
        }
    }

    private Result run0(Path dir) throws Exception {
        warmUp();
        int fdsAtStart = Net.baselineOpenFds();
        Canaries canaries = Canaries.open(dir, 6);
        int fdsWithCanaries = fdsAtStart + canaries.size();
        assertEquals(fdsWithCanaries, Kernel.awaitOpenFds(fdsWithCanaries, 2000));
        long closesAtStart = CloseHook.count();

        listener = TcpListener.bind(anyPort(V4), 1024);
        created.incrementAndGet();
        startNanos = System.nanoTime();
        for (int i = 0; i < cfg.slots / 2; i++) {
            connect(new Random(i));
        }

        List<Clock> clocks = new ArrayList<>();
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < cfg.threads; i++) {
            long seed = 1000 + i;
            Clock c = new Clock();
            Thread t = cfg.racers.apply(() -> work(new Random(seed), c), "race-" + i);
            c.thread = t;
            clocks.add(c);
            workers.add(t);
        }
        Thread churn = new Thread(() -> Canaries.churn(dir, stop::get, failures::add, () -> op("canary-churn")),
                "canary-churn");
        churn.setDaemon(true);
        Thread watchdog = new Thread(() -> watch(clocks), "race-watchdog");
        watchdog.setDaemon(true);
        workers.forEach(Thread::start);
        churn.start();
        watchdog.start();

        long end = cfg.runMillis > 0 ? System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(cfg.runMillis) : Long.MAX_VALUE;
        long nextCheck = 0;
        while (failures.isEmpty() && !done(end)) {
            if (System.nanoTime() - nextCheck > 0) {
                canaries.check();
                nextCheck = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
            }
            Net.sleepMillis(10);
        }
        long elapsed = System.nanoTime() - startNanos;
        stop.set(true);

        // Close everything until every worker has left (this also wakes workers blocked in read or write).
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (workers.stream().anyMatch(Thread::isAlive) && System.nanoTime() < deadline) {
            sweep();
            for (Thread t : workers) {
                t.join(20);
            }
        }
        for (Thread t : workers) {
            if (t.isAlive()) {
                fail(t.getName() + " is stuck at " + Net.stack(t));
            }
        }
        churn.join(5000);
        watchdog.join(5000);
        sweep();
        listener.close();
        for (CompletableFuture<?> f : asyncCloses) {
            f.get(10, TimeUnit.SECONDS);
        }

        Map<String, Long> max = new TreeMap<>();
        for (Clock c : clocks) {
            c.maxNanos.forEach((k, v) -> max.merge(k, v / 1000, Math::max));
        }
        Result result = new Result(total.sum(), elapsed, sums(ops), sums(errors), max, created.get(),
                CloseHook.count() - closesAtStart);
        System.out.println("race: " + result);
        if (!failures.isEmpty()) {
            Throwable first = failures.peek();
            AssertionError e = new AssertionError(failures.size() + " unexpected failures; first: " + first, first);
            failures.stream().skip(1).limit(5).forEach(e::addSuppressed);
            throw e;
        }
        realCloses.forEach((h, n) -> assertEquals(1, n.get(), h + " was closed " + n + " times"));
        assertEquals(created.get(), result.realCloses(),
                "close(2) calls must equal descriptors created: none closed twice, none forgotten");
        assertEquals(fdsWithCanaries, Kernel.awaitOpenFds(fdsWithCanaries, 5000),
                "the fd count is back where it started (canaries still open); now " + Net.fdLinks());
        canaries.check();
        canaries.close();
        assertEquals(fdsAtStart, Kernel.awaitOpenFds(fdsAtStart, 5000));
        return result;
    }

    private boolean done(long end) {
        if (cfg.operations > 0 && total.sum() >= cfg.operations) {
            return true;
        }
        return System.nanoTime() - end >= 0;
    }

    /** Fraction of the run done, by time or by operations. */
    private double progress() {
        if (cfg.operations > 0) {
            return Math.min(1.0, (double) total.sum() / cfg.operations);
        }
        return Math.min(1.0, (System.nanoTime() - startNanos) / (cfg.runMillis * 1e6));
    }

    // ---- the watchdog ----

    /** Fails the run when any operation has been running longer than its bound. */
    private void watch(List<Clock> clocks) {
        long bound = cfg.opBound.toNanos();
        while (!stop.get()) {
            long now = System.nanoTime();
            for (Clock c : clocks) {
                long s = c.startedAt;
                if (s != 0 && now - s > bound) {
                    failures.add(new AssertionError(c.thread.getName() + ": " + c.op + " has been running for "
                            + (now - s) / 1_000_000 + " ms (bound " + cfg.opBound.toMillis() + " ms), at "
                            + Net.stack(c.thread)));
                    stop.set(true);
                    return;
                }
            }
            Net.sleepMillis(50);
        }
    }

    // ---- the workers ----

    private void work(Random r, Clock clock) {
        ByteBuffer heap = ByteBuffer.allocate(4096);
        ByteBuffer direct = ByteBuffer.allocateDirect(4096);
        byte[] payload = new byte[2048];
        r.nextBytes(payload);
        while (!stop.get()) {
            int slot = r.nextInt(cfg.slots);
            TcpSocket h = slots.get(slot);
            int dice = r.nextInt(100);
            String name = null;
            long t0 = System.nanoTime();
            clock.startedAt = t0;
            try {
                if ((h == null || !h.isOpen()) && r.nextInt(10) != 0) {
                    name = revive(slot, r);
                    continue;
                }
                if (h == null) {
                    continue;
                }
                if (dice < 34) {
                    name = op(clock, "read");
                    ByteBuffer b = r.nextBoolean() ? heap : direct;
                    b.clear();
                    h.read(b, ms(r.nextInt(3)));
                } else if (dice < 35) {
                    if (cfg.blockingReads) {
                        name = op(clock, "read-blocking");
                        heap.clear();
                        h.read(heap);
                    }
                } else if (dice < 63) {
                    name = op(clock, "write");
                    int n = 1 + r.nextInt(payload.length);
                    h.write(r.nextBoolean() ? ByteBuffer.wrap(payload, 0, n) : direct.clear().limit(n));
                } else if (dice < 68) {
                    name = op(clock, "dup");
                    TcpSocket d = h.dup();
                    created.incrementAndGet();
                    place(d, r);
                } else if (dice < 74) {
                    name = op(clock, "close");
                    close(h, r);
                } else if (dice < 75) {
                    // rare: shutdownOutput ends output for every dup of the socket for good
                    if (r.nextInt(10) == 0) {
                        name = op(clock, "shutdownOutput");
                        h.shutdownOutput();
                    }
                } else if (dice < 84) {
                    name = op(clock, "setsockopt");
                    setOption(h, r);
                } else if (dice < 92) {
                    name = op(clock, "tcpInfo");
                    UseCount.withFd(h, "tcpInfo", TcpInfo::of).state();
                } else {
                    name = op(clock, "address");
                    h.localAddress();
                    h.references();
                }
            } catch (TcpException e) {
                tolerate(e);
            } catch (Throwable t) {
                failures.add(t);
            } finally {
                clock.startedAt = 0;
                if (name != null) {
                    long took = System.nanoTime() - t0;
                    clock.maxNanos.merge(name, took, Math::max);
                    total.increment();
                }
            }
        }
    }

    /** Options whose effect stays bounded: no positive SO_LINGER, which would make a later close block. */
    private static void setOption(TcpSocket h, Random r) throws TcpException {
        switch (r.nextInt(8)) {
            case 0 -> h.setOption(TcpOption.TCP_NODELAY, r.nextBoolean());
            case 1 -> h.setOption(TcpOption.SO_KEEPALIVE, r.nextBoolean());
            case 2 -> h.setOption(TcpOption.SO_RCVBUF, 4096 + r.nextInt(65536));
            case 3 -> h.setOption(TcpOption.SO_SNDBUF, 4096 + r.nextInt(65536));
            case 4 -> h.setOption(TcpOption.TCP_LINGER2, Duration.ofSeconds(r.nextInt(3)));
            case 5 -> h.setOption(TcpOption.TCP_USER_TIMEOUT, ms(r.nextInt(5000)));
            case 6 -> h.setOption(TcpOption.SO_LINGER, r.nextInt(4) == 0 ? Duration.ZERO : null);
            default -> h.option(TcpOption.SO_RCVBUF);
        }
    }

    /** Kernel errors are expected here (closed, reset, timed out, EPIPE); errors that mean fd misuse are not. */
    private void tolerate(TcpException e) {
        if (MISUSE_ERRNOS.contains(e.errno()) || (e instanceof SocketClosedException && e.errno() != 0)) {
            failures.add(e);
            return;
        }
        errors.computeIfAbsent(e.getClass().getSimpleName() + "/" + e.errnoName(), k -> new LongAdder()).increment();
    }

    /**
     * Keeps the pool alive: a dead slot gets a fresh connection when the pace allows, else a dup of a live
     * handle from another slot. (One op in ten still goes to the dead handle, for the closed-handle paths.)
     */
    private String revive(int slot, Random r) throws TcpException {
        if (connectAllowed()) {
            op("connect");
            connect(r);
            return "connect";
        }
        TcpSocket live = slots.get(r.nextInt(cfg.slots));
        if (live != null && live.isOpen() && r.nextBoolean()) {
            op("dup");
            TcpSocket d = live.dup();
            created.incrementAndGet();
            register(d);
            TcpSocket old = slots.getAndSet(slot, d);
            if (old != null) {
                close(old, r);
            }
            if (stop.get()) {
                close(d, r);
            }
            return "dup";
        }
        return null;
    }

    private boolean connectAllowed() {
        long paced = cfg.slots + (long) (cfg.maxConnections * progress());
        return connections.get() < Math.min(paced, cfg.maxConnections);
    }

    private void connect(Random r) throws TcpException {
        if (connections.incrementAndGet() > cfg.maxConnections || stop.get()) {
            return;
        }
        created.incrementAndGet(); // connect creates its socket whether or not the handshake succeeds
        TcpSocket c = TcpSocket.connect(listener.localAddress(), Duration.ofSeconds(2));
        register(c);
        place(c, r);
        TcpSocket s = listener.accept(Duration.ofSeconds(2));
        created.incrementAndGet();
        register(s);
        place(s, r);
    }

    private void register(TcpSocket h) {
        realCloses.putIfAbsent(h, new AtomicInteger());
    }

    /** Puts a handle in a random slot; the handle it displaces is closed (else nobody could reach it). */
    private void place(TcpSocket h, Random r) {
        register(h);
        TcpSocket old = slots.getAndSet(r.nextInt(cfg.slots), h);
        if (old != null) {
            close(old, r);
        }
        if (stop.get()) {
            close(h, r); // the sweep may have passed already
        }
    }

    /** Closes in a random mode, every mode and closeAsync included; graceful and linger with short deadlines. */
    private void close(TcpSocket h, Random r) {
        CloseMode mode;
        int dice = r.nextInt(100);
        if (dice < 40) {
            mode = CloseMode.RELEASE;
        } else if (dice < 50) {
            mode = CloseMode.SHUTDOWN;
        } else if (dice < 75) {
            mode = CloseMode.ABORT;
        } else if (dice < 85) {
            mode = CloseMode.graceful(ms(r.nextInt(30)));
        } else {
            mode = CloseMode.linger(ms(r.nextInt(30)));
        }
        op("close:" + mode.kind());
        if (r.nextInt(5) == 0) {
            op("closeAsync");
            asyncCloses.add(h.closeAsync(mode).whenComplete((o, t) -> {
                if (t != null) {
                    failures.add(t);
                } else {
                    record(h, o);
                }
            }));
        } else {
            record(h, h.close(mode));
        }
    }

    private void record(TcpSocket h, CloseOutcome o) {
        if (!o.wasAlreadyClosed()) {
            realCloses.get(h).incrementAndGet();
        }
    }

    private void sweep() {
        Random r = new Random();
        for (TcpSocket h : new ArrayList<>(realCloses.keySet())) {
            try {
                record(h, h.close(CloseMode.ABORT));
            } catch (Throwable t) {
                failures.add(t);
            }
        }
        for (int i = 0; i < cfg.slots; i++) {
            TcpSocket h = slots.getAndSet(i, null);
            if (h != null) {
                close(h, r);
            }
        }
    }

    private String op(Clock clock, String name) {
        clock.op = name;
        op(name);
        return name;
    }

    private void op(String name) {
        ops.computeIfAbsent(name, k -> new LongAdder()).increment();
    }

    private static Map<String, Long> sums(Map<String, LongAdder> m) {
        Map<String, Long> out = new TreeMap<>();
        m.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    /** Loads every class and native path the run uses, so the JVM's own lazily opened files are not counted. */
    private static void warmUp() throws Exception {
        try (Net.Pair p = Net.Pair.open(V4)) {
            TcpSocket d = p.client().dup();
            d.write(ByteBuffer.allocate(10));
            p.server().read(ByteBuffer.allocateDirect(10), ms(100));
            try {
                p.server().read(ByteBuffer.allocate(10), ms(1));
            } catch (TimedOutException expected) {
                // fine
            }
            UseCount.withFd(p.server(), "tcpInfo", TcpInfo::of);
            d.closeAsync(CloseMode.linger(ms(10))).get(5, TimeUnit.SECONDS);
            // a pending asynchronous graceful close waits on the poller: its epoll instance is made now
            p.server().closeAsync(CloseMode.graceful(ms(10))).get(5, TimeUnit.SECONDS);
        }
        Path tmp = Files.createTempFile("teardown-warm", ".bin");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.READ)) {
            ch.read(ByteBuffer.allocate(1), 0);
        }
        Files.delete(tmp);
        Net.fdLinks();
    }
}
