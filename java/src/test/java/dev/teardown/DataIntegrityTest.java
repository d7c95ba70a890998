package dev.teardown;

import static dev.teardown.Net.V4;
import static dev.teardown.Net.anyPort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.teardown.CloseOutcome.Sent;
import dev.teardown.Transfer.Payload;
import dev.teardown.Transfer.Received;
import dev.teardown.posix.Libc;
import dev.teardown.posix.Os;
import dev.teardown.spawn.UseCount;
import dev.teardown.testing.Kernel;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Data integrity of graceful close. In every trial the reader first sends a small request that the writer
 * never reads (the unread input that makes a plain close send RST), then reads slowly (a 4 KiB receive buffer,
 * reads of 1-4 KiB) while the writer writes 1 MiB of random bytes into a send buffer with room for all of it and
 * closes at once, before the reader has most of them. With {@link CloseMode#graceful} every one of 1000 trials
 * delivers every byte (CRC32 and byte-for-byte comparison); with {@link CloseMode#RELEASE} the same exchange is shown to lose data: the kernel sends RST and
 * drops what it had not yet sent. That is why graceful exists.
 */
class DataIntegrityTest {
    static final int TRIALS = 1000;
    static final int SIZE = 1 << 20;
    static final int REQUEST = 64;
    /** Trials run side by side: each has a writer and a reader thread. */
    static final int PARALLEL = 3;

    /** One exchange: the reader's request, the writer's 1 MiB and close, the reader's read to EOF. */
    record Trial(Received received, CloseOutcome outcome, int queuedAtClose) {}

    private static Trial exchange(TcpListener l, Payload p, CloseMode mode, long pauseMillis) throws Exception {
        TcpSocket writer = TcpSocket.connect(l.localAddress(), Duration.ofSeconds(5));
        TcpSocket reader = l.accept(Duration.ofSeconds(5));
        try {
            reader.write(ByteBuffer.wrap(new byte[REQUEST])); // never read by the writer
            Net.Bg<Received> r = Net.background("reader", () -> {
                Received got = Transfer.readToEnd(reader, p, 1024 + (int) (p.crc() % 3072), pauseMillis,
                        Duration.ofSeconds(20));
                reader.close(CloseMode.RELEASE);
                return got;
            });
            awaitUnread(writer, REQUEST);
            // room for the whole payload: write returns at once, and the close is what has to deliver all of it
            writer.setOption(TcpOption.SO_SNDBUF, SIZE);
            writer.write(p.direct());
            int queued = queued(writer);
            CloseOutcome o = writer.close(mode);
            return new Trial(getUnchecked(r), o, queued);
        } finally {
            writer.close(CloseMode.ABORT);
            reader.close(CloseMode.ABORT);
        }
    }

    /** One exchange of each kind first, so that what the JVM opens once and keeps is not counted as a leak. */
    @BeforeAll
    static void warmUp() throws Exception {
        try (TcpListener l = slowReaderListener()) {
            exchange(l, Payload.random(64 * 1024, -1), CloseMode.graceful(Duration.ofSeconds(5)), 0);
            exchange(l, Payload.random(64 * 1024, -2), CloseMode.RELEASE, 0);
        }
    }

    @Test
    @Timeout(180)
    void gracefulCloseDeliversEveryByteInAThousandTrials() throws Exception {
        int fds = Net.baselineOpenFds();
        AtomicInteger next = new AtomicInteger();
        AtomicInteger delivered = new AtomicInteger();
        AtomicLong bytes = new AtomicLong();
        AtomicLong drained = new AtomicLong();
        AtomicLong maxCloseMicros = new AtomicLong();
        AtomicLong closeMicros = new AtomicLong();
        AtomicLong queuedAtClose = new AtomicLong();
        Queue<String> failures = new ConcurrentLinkedQueue<>();
        long t0 = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(PARALLEL);
        try {
            List<Future<?>> runs = new ArrayList<>();
            for (int w = 0; w < PARALLEL; w++) {
                runs.add(pool.submit(() -> {
                    try (TcpListener l = slowReaderListener()) {
                        for (int i = next.getAndIncrement(); i < TRIALS && failures.size() < 5; i = next.getAndIncrement()) {
                            Payload p = Payload.random(SIZE, i);
                            Trial t = exchange(l, p, CloseMode.graceful(Duration.ofSeconds(20)), 0);
                            CloseOutcome o = t.outcome();
                            if (t.received().complete(p) && o.sent() == Sent.FIN && !o.rstSent() && !o.deadlineExpired()
                                    && o.bytesDrained() == REQUEST) {
                                delivered.incrementAndGet();
                                bytes.addAndGet(t.received().bytes());
                                drained.addAndGet(o.bytesDrained());
                                maxCloseMicros.accumulateAndGet(o.elapsedNanos() / 1000, Math::max);
                                closeMicros.addAndGet(o.elapsedNanos() / 1000);
                                queuedAtClose.addAndGet(t.queuedAtClose());
                            } else {
                                failures.add("trial " + i + ": " + t.received() + "; " + o);
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : runs) {
                f.get(170, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("integrity: %d of %d graceful trials delivered all %,d bytes (CRC32 and byte-for-byte), "
                + "%,d bytes total in %d ms; when close was called %,d bytes on average were still queued unsent or"
                + " unacknowledged; %d unread request bytes drained; close took %d µs on average, %d µs at most%n",
                delivered.get(), TRIALS, SIZE, bytes.get(), ms, queuedAtClose.get() / Math.max(1, delivered.get()),
                drained.get(), closeMicros.get() / Math.max(1, delivered.get()), maxCloseMicros.get());
        assertTrue(failures.isEmpty(), "trials lost data: " + failures);
        assertEquals(TRIALS, delivered.get());
        assertEquals((long) TRIALS * SIZE, bytes.get());
        assertEquals(fds, Kernel.awaitOpenFds(fds, 5000), "descriptors leaked: " + Net.fdLinks());
    }

    @Test
    @Timeout(60)
    void releaseWithUnreadInputLosesData() throws Exception {
        int fds = Net.baselineOpenFds();
        int trials = 20;
        int lost = 0;
        long received = 0;
        try (TcpListener l = slowReaderListener()) {
            for (int i = 0; i < trials; i++) {
                Payload p = Payload.random(SIZE, 100_000 + i);
                // the reader also pauses 1 ms per read, so it can never have caught up when the writer closes
                Trial t = exchange(l, p, CloseMode.RELEASE, 1);
                CloseOutcome o = t.outcome();
                assertEquals(Sent.RST, o.sent(), "unread input turns close into RST: " + o);
                assertEquals(REQUEST, o.unreadBytesDiscarded(), o.toString());
                assertTrue(t.received().prefixExact(), "what did arrive is exact: " + t.received());
                if (t.received().bytes() < SIZE) {
                    lost++;
                    assertTrue(t.received().end() instanceof ConnectionResetException,
                            "the reader sees the reset: " + t.received());
                }
                received += t.received().bytes();
            }
        }
        System.out.printf("integrity counter-case: RELEASE with %d unread bytes lost data in %d of %d trials; the reader"
                + " got %.1f%% of the bytes written%n", REQUEST, lost, trials, 100.0 * received / ((long) trials * SIZE));
        assertEquals(trials, lost, "every RELEASE with unread input lost data");
        assertEquals(fds, Kernel.awaitOpenFds(fds, 5000), "descriptors leaked: " + Net.fdLinks());
    }

    /** A listener whose accepted sockets have a small receive buffer: a slow reader, as the writer sees it. */
    private static TcpListener slowReaderListener() throws TcpException {
        return TcpListener.builder().option(TcpOption.SO_RCVBUF, 4096).bind(anyPort(V4));
    }

    /** Waits until the request has arrived at {@code s}, unread (FIONREAD). */
    private static void awaitUnread(TcpSocket s, int n) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (unread(s) < n) {
            assertTrue(System.nanoTime() < end, "the request never arrived");
            Thread.onSpinWait();
        }
    }

    /** Bytes written but not yet acknowledged by the peer (SIOCOUTQ). */
    private static int queued(TcpSocket s) throws TcpException {
        return UseCount.withFd(s, "SIOCOUTQ", fd -> {
            int[] q = new int[1];
            Libc.ioctl(fd, Os.SIOCOUTQ, q);
            return q[0];
        });
    }

    private static int unread(TcpSocket s) throws TcpException {
        return UseCount.withFd(s, "FIONREAD", fd -> {
            int[] q = new int[1];
            Libc.ioctl(fd, Os.FIONREAD, q);
            return q[0];
        });
    }

    private static <T> T getUnchecked(Net.Bg<T> bg) throws Exception {
        try {
            return bg.get(30_000);
        } catch (Exception | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
