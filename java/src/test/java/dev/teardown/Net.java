package dev.teardown;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import dev.teardown.testing.Capture.Segment;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Shared fixtures for the wire tests: loopback connection pairs, background calls, /proc/self/fd views. */
final class Net {
    private Net() {}

    static final InetAddress V4 = address("127.0.0.1");
    static final InetAddress V6 = address("::1");

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Both loopback families, for parameterized tests. */
    static Stream<InetAddress> families() {
        return Stream.of(V4, V6);
    }

    static InetSocketAddress anyPort(InetAddress host) {
        return new InetSocketAddress(host, 0);
    }

    static Duration ms(long millis) {
        return Duration.ofMillis(millis);
    }

    /**
     * A listener on a kernel-chosen loopback port, a client connected to it and the server end accepted.
     * {@link #close()} aborts whatever is still open, so no test leaves TIME_WAIT behind by accident.
     */
    record Pair(TcpListener listener, TcpSocket client, TcpSocket server) implements AutoCloseable {
        static Pair open(InetAddress host) throws TcpException {
            return open(TcpListener.builder(), host);
        }

        static Pair open(TcpListener.Builder builder, InetAddress host) throws TcpException {
            TcpListener l = builder.bind(anyPort(host));
            TcpSocket c = null;
            try {
                c = TcpSocket.connect(l.localAddress(), Duration.ofSeconds(5));
                TcpSocket s = l.accept(Duration.ofSeconds(5));
                return new Pair(l, c, s);
            } catch (TcpException | RuntimeException e) {
                if (c != null) {
                    c.close(CloseMode.ABORT);
                }
                l.close();
                throw e;
            }
        }

        /** The listening port, which is also the accepted socket's local port. */
        int serverPort() {
            return listener.localAddress().getPort();
        }

        int clientPort() {
            try {
                return client.localAddress().getPort();
            } catch (TcpException e) {
                throw new IllegalStateException("client port asked after close; ask before closing", e);
            }
        }

        @Override
        public void close() {
            client.close(CloseMode.ABORT);
            server.close(CloseMode.ABORT);
            listener.close();
        }
    }

    /** Asserts that a read on {@code s} sees neither data nor EOF within {@code millis}. */
    static void assertNoEofWithin(TcpSocket s, long millis) {
        assertThrows(TimedOutException.class, () -> s.read(ByteBuffer.allocate(64), ms(millis)),
                "the peer must see neither data nor EOF");
    }

    /** Reads until EOF (at most {@code timeout} per read) and returns the byte count. */
    static long drainToEof(TcpSocket s, Duration timeout) throws TcpException {
        ByteBuffer b = ByteBuffer.allocateDirect(64 * 1024);
        long total = 0;
        for (;;) {
            b.clear();
            int n = s.read(b, timeout);
            if (n < 0) {
                return total;
            }
            total += n;
        }
    }

    // ---- the capture, read by direction and time ----

    static List<Segment> from(List<Segment> segments, int port, Predicate<Segment> which) {
        return segments.stream().filter(s -> s.srcPort() == port && which.test(s)).collect(Collectors.toList());
    }

    static List<Segment> finsFrom(List<Segment> segments, int port) {
        return from(segments, port, Segment::fin);
    }

    static List<Segment> rstsFrom(List<Segment> segments, int port) {
        return from(segments, port, Segment::rst);
    }

    /** The capture timestamp of a segment (tcpdump -tt: seconds since the epoch, microseconds). */
    static double time(Segment s) {
        return Double.parseDouble(s.line().substring(0, s.line().indexOf(' ')));
    }

    /** Wall-clock now in the same unit as {@link #time(Segment)}. */
    static double wallSeconds() {
        return System.currentTimeMillis() / 1000.0;
    }

    static String dump(List<Segment> segments) {
        return segments.stream().map(Segment::line).collect(Collectors.joining("\n  ", "\n  ", ""));
    }

    // ---- background calls ----

    /** A call running on its own daemon thread, so the test can see whether it is blocked. */
    static final class Bg<T> {
        final Thread thread;
        final FutureTask<T> task;
        volatile long finishedAt;

        private Bg(String name, Callable<T> body) {
            this.task = new FutureTask<>(() -> {
                try {
                    return body.call();
                } finally {
                    finishedAt = System.nanoTime();
                }
            });
            this.thread = new Thread(task, name);
            thread.setDaemon(true);
            thread.start();
        }

        /** The call's result, or its exception unwrapped. */
        T get(long millis) throws Throwable {
            try {
                return task.get(millis, TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                throw e.getCause();
            } catch (TimeoutException e) {
                throw new AssertionError(thread.getName() + " did not finish within " + millis + " ms; it is at "
                        + stack(thread), e);
            }
        }

        /** The exception the call ended with; fails if it returned normally. */
        Throwable failure(long millis) {
            try {
                T v = get(millis);
                return fail(thread.getName() + " returned " + v + " instead of failing");
            } catch (AssertionError e) {
                throw e;
            } catch (Throwable t) {
                return t;
            }
        }

        boolean isDone() {
            return task.isDone();
        }
    }

    static <T> Bg<T> background(String name, Callable<T> body) {
        return new Bg<>(name, body);
    }

    /** Waits until {@code t} is parked in the library's poll(2), that is, blocked in a socket call. */
    static void awaitBlockedInPoll(Thread t) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < end) {
            StackTraceElement[] st = t.getStackTrace();
            if (inPoll(st)) {
                return;
            }
            if (!t.isAlive()) {
                fail(t.getName() + " ended before blocking");
            }
            sleepMillis(5);
        }
        fail(t.getName() + " never blocked in poll; it is at " + stack(t));
    }

    /**
     * The top of the stack is the binding's poll: JNA's native method itself, or FFM's poll with only the JDK's
     * downcall frames above it.
     */
    private static boolean inPoll(StackTraceElement[] st) {
        for (StackTraceElement e : st) {
            String c = e.getClassName();
            if (c.startsWith("dev.teardown.")) {
                return c.matches("dev\\.teardown\\.posix\\.(Jna|Ffm)?Libc") && e.getMethodName().equals("poll");
            }
            if (!c.startsWith("java.lang.invoke.") && !c.startsWith("jdk.internal.")) {
                return false;
            }
        }
        return false;
    }

    static String stack(Thread t) {
        return Stream.of(t.getStackTrace()).limit(8).map(String::valueOf).collect(Collectors.joining(" <- "));
    }

    static void sleepMillis(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    // ---- /proc/self/fd ----

    private static final String OWN_LISTING = "/proc/" + ProcessHandle.current().pid() + "/fd";

    /**
     * Every open descriptor of this process and what it refers to (readlink of /proc/self/fd/N), without
     * the directory stream this listing itself opens.
     */
    static Map<Integer, String> fdLinks() {
        Map<Integer, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.list(Paths.get("/proc/self/fd"))) {
            for (Path p : (Iterable<Path>) s::iterator) {
                try {
                    String target = Files.readSymbolicLink(p).toString();
                    if (!target.equals(OWN_LISTING)) {
                        out.put(Integer.parseInt(p.getFileName().toString()), target);
                    }
                } catch (IOException gone) {
                    // the directory stream's own descriptor, or one closed while listing
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    /**
     * A baseline for the process's fd count. Other threads of the JVM open descriptors for moments (surefire's
     * parent-process check, the process reaper closing the pipes of a finished ss or tcpdump), which only
     * ever adds to a sample; so wait until the count holds still, then take the smallest of a few samples.
     * Compare against it with {@link dev.teardown.testing.Kernel#awaitOpenFds}, which polls past such moments.
     */
    static int baselineOpenFds() {
        warmTeardown();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        int last = dev.teardown.testing.Kernel.openFds();
        int steady = 0;
        while (steady < 3 && System.nanoTime() < end) {
            sleepMillis(5);
            int n = dev.teardown.testing.Kernel.openFds();
            steady = n == last ? steady + 1 : 0;
            last = Math.min(last, n);
        }
        return last;
    }

    private static volatile boolean warm;

    /**
     * Makes the descriptors teardown opens once per JVM and keeps (the pool of wake-up eventfds a waiting platform
     * thread borrows, the poller's epoll instances), so a leak check does not count them.
     */
    static void warmTeardown() {
        if (warm) {
            return;
        }
        try (Pair p = Pair.open(V4)) {
            assertThrows(TimedOutException.class, () -> p.client().read(ByteBuffer.allocate(8), ms(1)));
            p.server().closeAsync(CloseMode.graceful(ms(5))).get(5, TimeUnit.SECONDS); // waits on the poller
        } catch (Exception e) {
            throw new IllegalStateException("warming teardown up", e);
        }
        warm = true;
    }

    /** Descriptors that are eventfds (link {@code anon_inode:[eventfd]}). */
    static List<Integer> eventfds() {
        List<Integer> out = new ArrayList<>();
        fdLinks().forEach((fd, link) -> {
            if (link.equals("anon_inode:[eventfd]")) {
                out.add(fd);
            }
        });
        return out;
    }

    /** What /proc/self/fd/N links to, e.g. {@code socket:[12345]}; null if N is not open. */
    static String link(int fd) {
        try {
            return Files.readSymbolicLink(Paths.get("/proc/self/fd/" + fd)).toString();
        } catch (IOException e) {
            return null;
        }
    }

    /** How many descriptors of this process refer to {@code target} (a {@code socket:[ino]} link). */
    static int descriptorsOf(String target) {
        return (int) fdLinks().values().stream().filter(target::equals).count();
    }

    static void assertState(String want, int localPort, int peerPort) {
        assertEquals(want, dev.teardown.testing.Kernel.awaitState(localPort, peerPort, want, 3000),
                "ss state of " + localPort + " -> " + peerPort);
    }
}
