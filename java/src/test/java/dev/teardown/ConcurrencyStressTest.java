package dev.teardown;

import static dev.teardown.Net.V4;
import static dev.teardown.Net.anyPort;
import static dev.teardown.Net.ms;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.teardown.posix.Errno;
import dev.teardown.testing.Kernel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Eight threads close, read, write, dup and reconnect shared sockets at random for a few seconds while
 * canary files stay open. Afterwards: no canary was disturbed (same path behind the same descriptor
 * number, same content), the process has exactly the descriptors it started with, every handle was
 * closed exactly once, and the number of real close(2) calls ({@link CloseHook#count()}) equals the number
 * of descriptors the library created during the test.
 */
class ConcurrencyStressTest {
    private static final int THREADS = 8;
    private static final int SLOTS = 24;
    private static final long RUN_MILLIS = 6_000;
    /** Connections opened over the run, paced evenly so that live sockets are shared all the way through. */
    private static final int MAX_CONNECTIONS = 6000;
    private static final Set<Integer> MISUSE_ERRNOS = Set.of(Errno.EBADF, Errno.ENOTSOCK, Errno.EFAULT);

    @TempDir
    Path dir;

    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicLong created = new AtomicLong();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicReferenceArray<TcpSocket> slots = new AtomicReferenceArray<>(SLOTS);
    private final Map<TcpSocket, AtomicInteger> realCloses = new ConcurrentHashMap<>();
    private final Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
    private final Queue<CompletableFuture<?>> asyncCloses = new ConcurrentLinkedQueue<>();
    private final Map<String, LongAdder> ops = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    private TcpListener listener;
    private volatile long startNanos;

    /** A file held open through the test; its descriptor number must keep naming it. */
    record Canary(Path path, FileChannel channel, int fd, byte[] content) {}

    @AfterEach
    void stopEverything() {
        stop.set(true);
    }

    @Test
    @Timeout(60)
    void concurrentCloseReadWriteDupNeverDisturbsACanaryNorLeaks() throws Exception {
        warmUp();
        int fdsAtStart = Net.baselineOpenFds();
        List<Canary> canaries = openCanaries(6);
        int fdsWithCanaries = fdsAtStart + canaries.size();
        assertEquals(fdsWithCanaries, Kernel.awaitOpenFds(fdsWithCanaries, 2000));
        long closesAtStart = CloseHook.count();

        listener = TcpListener.bind(anyPort(V4), 1024);
        created.incrementAndGet();
        startNanos = System.nanoTime();
        for (int i = 0; i < SLOTS / 2; i++) {
            connect(new Random(i));
        }

        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < THREADS; i++) {
            long seed = 1000 + i;
            Thread t = new Thread(() -> work(new Random(seed)), "stress-" + i);
            t.setDaemon(true);
            workers.add(t);
        }
        Thread churn = new Thread(this::churnFiles, "canary-churn");
        churn.setDaemon(true);
        workers.forEach(Thread::start);
        churn.start();

        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RUN_MILLIS);
        while (System.nanoTime() < end && failures.isEmpty()) {
            checkCanaries(canaries);
            Net.sleepMillis(100);
        }
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
        sweep();
        listener.close();
        for (CompletableFuture<?> f : asyncCloses) {
            f.get(10, TimeUnit.SECONDS);
        }

        System.out.println("stress: ops " + new TreeMap<>(ops) + "; tolerated errors " + new TreeMap<>(errors)
                + "; descriptors created " + created.get());
        if (!failures.isEmpty()) {
            Throwable first = failures.peek();
            AssertionError e = new AssertionError(failures.size() + " unexpected failures; first: " + first, first);
            failures.stream().skip(1).limit(5).forEach(e::addSuppressed);
            throw e;
        }
        assertTrue(count("close") > 200 && count("dup") > 200 && count("read") > 1000 && count("write") > 1000,
                "the run must exercise every operation: " + ops);

        realCloses.forEach((h, n) -> assertEquals(1, n.get(), h + " was closed " + n + " times"));
        assertEquals(created.get(), CloseHook.count() - closesAtStart,
                "close(2) calls must equal descriptors created: none closed twice, none forgotten");
        assertEquals(fdsWithCanaries, Kernel.awaitOpenFds(fdsWithCanaries, 5000),
                "the fd count is back where it started (canaries still open)");
        checkCanaries(canaries);

        for (Canary c : canaries) {
            c.channel().close();
        }
        assertEquals(fdsAtStart, Kernel.awaitOpenFds(fdsAtStart, 5000));
    }

    // ---- the workers ----

    private void work(Random r) {
        ByteBuffer heap = ByteBuffer.allocate(4096);
        ByteBuffer direct = ByteBuffer.allocateDirect(4096);
        byte[] payload = new byte[2048];
        r.nextBytes(payload);
        while (!stop.get()) {
            int slot = r.nextInt(SLOTS);
            TcpSocket h = slots.get(slot);
            int dice = r.nextInt(100);
            try {
                if ((h == null || !h.isOpen()) && r.nextInt(10) != 0) {
                    revive(slot, r);
                    continue;
                }
                if (h == null) {
                    continue;
                }
                if (dice < 40) {
                    op("read");
                    ByteBuffer b = r.nextBoolean() ? heap : direct;
                    b.clear();
                    h.read(b, ms(r.nextInt(4)));
                } else if (dice < 41) {
                    op("read-blocking");
                    heap.clear();
                    h.read(heap);
                } else if (dice < 76) {
                    op("write");
                    int n = 1 + r.nextInt(payload.length);
                    h.write(r.nextBoolean() ? ByteBuffer.wrap(payload, 0, n) : direct.clear().limit(n));
                } else if (dice < 81) {
                    op("dup");
                    TcpSocket d = h.dup();
                    created.incrementAndGet();
                    place(d, r);
                } else if (dice < 87) {
                    op("close");
                    close(h, r);
                } else if (dice < 88) {
                    // rare: shutdownOutput ends output for every dup of the socket for good
                    if (r.nextInt(10) == 0) {
                        op("shutdownOutput");
                        h.shutdownOutput();
                    }
                } else if (dice < 94) {
                    op("option");
                    h.setOption(TcpOption.TCP_NODELAY, r.nextBoolean());
                    h.option(TcpOption.SO_RCVBUF);
                } else {
                    op("address");
                    h.localAddress();
                    h.references();
                }
            } catch (TcpException e) {
                tolerate(e);
            } catch (Throwable t) {
                failures.add(t);
            }
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
    private void revive(int slot, Random r) throws TcpException {
        if (connectAllowed()) {
            op("connect");
            connect(r);
            return;
        }
        TcpSocket live = slots.get(r.nextInt(SLOTS));
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
        }
    }

    private boolean connectAllowed() {
        long elapsed = System.nanoTime() - startNanos;
        long paced = SLOTS + MAX_CONNECTIONS * elapsed / TimeUnit.MILLISECONDS.toNanos(RUN_MILLIS);
        return connections.get() < Math.min(paced, MAX_CONNECTIONS);
    }

    private void connect(Random r) throws TcpException {
        if (connections.incrementAndGet() > MAX_CONNECTIONS || stop.get()) {
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
        realCloses.put(h, new AtomicInteger());
    }

    /** Puts a handle in a random slot; the handle it displaces is closed (else nobody could reach it). */
    private void place(TcpSocket h, Random r) {
        register(h);
        TcpSocket old = slots.getAndSet(r.nextInt(SLOTS), h);
        if (old != null) {
            close(old, r);
        }
        if (stop.get()) {
            close(h, r); // the sweep may have passed already
        }
    }

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
        for (int i = 0; i < SLOTS; i++) {
            TcpSocket h = slots.getAndSet(i, null);
            if (h != null) {
                close(h, r);
            }
        }
    }

    private void op(String name) {
        ops.computeIfAbsent(name, k -> new LongAdder()).increment();
    }

    private long count(String name) {
        LongAdder a = ops.get(name);
        return a == null ? 0 : a.sum();
    }

    // ---- canaries ----

    private List<Canary> openCanaries(int n) throws IOException {
        List<Canary> out = new ArrayList<>();
        Random r = new Random(7);
        for (int i = 0; i < n; i++) {
            byte[] content = new byte[1000 + i];
            r.nextBytes(content);
            Path p = Files.write(dir.resolve("canary-" + i), content).toRealPath();
            Set<Integer> before = Net.fdLinks().keySet();
            FileChannel ch = FileChannel.open(p, StandardOpenOption.READ);
            Set<Integer> opened = new HashSet<>();
            Net.fdLinks().forEach((fd, link) -> {
                if (link.equals(p.toString()) && !before.contains(fd)) {
                    opened.add(fd);
                }
            });
            assertEquals(1, opened.size(), "one new descriptor for the canary: " + opened);
            int fd = opened.iterator().next();
            assertEquals(p.toString(), Net.link(fd));
            out.add(new Canary(p, ch, fd, content));
        }
        return Collections.unmodifiableList(out);
    }

    private static void checkCanaries(List<Canary> canaries) throws IOException {
        for (Canary c : canaries) {
            assertEquals(c.path().toString(), Net.link(c.fd()), "canary fd " + c.fd() + " must still name its file");
            assertTrue(c.channel().isOpen());
            ByteBuffer b = ByteBuffer.allocate(c.content().length + 1);
            while (c.channel().read(b, b.position()) > 0) {
                // read it all
            }
            b.flip();
            byte[] got = new byte[b.remaining()];
            b.get(got);
            assertArrayEquals(c.content(), got, "canary " + c.path() + " content");
        }
    }

    /**
     * Opens, verifies and closes files all through the run, so that descriptor numbers the sockets free are
     * taken at once by files: a library that used or closed a number after releasing it would hit one.
     */
    private void churnFiles() {
        try {
            List<Path> files = new ArrayList<>();
            List<byte[]> contents = new ArrayList<>();
            Random r = new Random(99);
            for (int i = 0; i < 4; i++) {
                byte[] c = new byte[512];
                r.nextBytes(c);
                contents.add(c);
                files.add(Files.write(dir.resolve("churn-" + i), c));
            }
            while (!stop.get()) {
                int i = r.nextInt(files.size());
                try (FileChannel ch = FileChannel.open(files.get(i), StandardOpenOption.READ)) {
                    Net.sleepMillis(r.nextInt(3));
                    ByteBuffer b = ByteBuffer.allocate(600);
                    while (ch.read(b, b.position()) > 0) {
                        // read it all
                    }
                    byte[] got = new byte[b.flip().remaining()];
                    b.get(got);
                    if (!java.util.Arrays.equals(contents.get(i), got)) {
                        failures.add(new AssertionError("churn file " + i + " read back different content"));
                    }
                }
                op("canary-churn");
            }
        } catch (Throwable t) {
            failures.add(t);
        }
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
            d.closeAsync(CloseMode.linger(ms(10))).get(5, TimeUnit.SECONDS);
            p.server().close(CloseMode.graceful(ms(10)));
        }
        Path tmp = Files.createTempFile("teardown-warm", ".bin");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.READ)) {
            ch.read(ByteBuffer.allocate(1), 0);
        }
        Files.delete(tmp);
        Net.fdLinks();
    }
}
