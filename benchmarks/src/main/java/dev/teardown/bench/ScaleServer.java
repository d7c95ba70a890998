package dev.teardown.bench;

import dev.teardown.CloseOutcome;
import dev.teardown.TcpListener;
import dev.teardown.TcpSocket;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Scale, one JVM per run (started by {@link ParkingBench}): N idle connections, each read by its own parked virtual
 * thread (a 16-byte heap buffer; what it reads it echoes). The connections come from an {@code echo-load --hold}
 * child over several loopback addresses. With them all parked it measures descriptors, heap (after GC) and RSS
 * per connection against a warmed-up baseline, how soon a new virtual thread runs, one echo on the last
 * connection, and the time to close them all (one thread closing each, or with {@code teardown-async} starting every
 * closeAsync and joining them, until every reader has returned).
 * Usage: {@code ScaleServer IMPL N ADDRESSES ECHO_LOAD}; prints one {@code RESULT k=v ...} line.
 */
final class ScaleServer {
    /** teardown, closing with closeAsync (all started, then joined) instead of close. */
    static final String TEARDOWN_ASYNC = "teardown-async";
    private static final int WARMUP_CONNS = 500;
    private static final int SPAWN_SAMPLES = 200;

    private final String impl;
    private final ConcurrentLinkedQueue<AutoCloseable> open = new ConcurrentLinkedQueue<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger reading = new AtomicInteger();
    private final AtomicInteger finished = new AtomicInteger();
    private int port;

    private ScaleServer(String impl) {
        this.impl = impl;
    }

    public static void main(String[] args) throws Exception {
        String impl = args[0];
        int n = Integer.parseInt(args[1]);
        String addresses = args[2];
        String load = args[3];
        new ScaleServer(impl).run(n, addresses, load, System.out);
        System.exit(0);
    }

    private void run(int n, String addresses, String load, PrintStream out) throws Exception {
        if (!VirtualThreads.AVAILABLE) {
            throw new IllegalStateException("virtual threads need a JDK 21+");
        }
        listen();
        // warm-up: the whole accept/read/echo/EOF/close path once for a few hundred connections, then the baseline
        Hold warm = Hold.start(load, port, "127.0.0.1", WARMUP_CONNS);
        awaitCount(reading, WARMUP_CONNS, "warm-up readers");
        warm.ping();
        warm.quit();
        awaitCount(finished, WARMUP_CONNS, "warm-up readers to see EOF");
        spawnLatencies(20);
        open.clear();
        accepted.set(0);
        reading.set(0);
        finished.set(0);
        Sample base = Sample.take();
        histogram("base");

        long t0 = System.nanoTime();
        Hold hold = Hold.start(load, port, addresses, n);
        awaitCount(reading, n, "readers");
        double acceptSeconds = (System.nanoTime() - t0) / 1e9;
        Thread.sleep(1000); // every reader reaches its park
        Sample all = Sample.take();
        histogram("all");
        long[] spawn = spawnLatencies(SPAWN_SAMPLES);
        long pong = hold.ping();

        t0 = System.nanoTime();
        long cpu0 = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
        List<CompletableFuture<CloseOutcome>> pending = new ArrayList<>();
        for (AutoCloseable c; (c = open.poll()) != null;) {
            if (impl.equals(TEARDOWN_ASYNC)) {
                TcpSocket s = (TcpSocket) c;
                pending.add(s.closeAsync(s.defaultCloseMode()));
            } else {
                c.close();
            }
        }
        CompletableFuture.allOf(pending.toArray(new CompletableFuture<?>[0])).join();
        double closeCallsSeconds = (System.nanoTime() - t0) / 1e9;
        double closeCpuSeconds = (ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - cpu0) / 1e9;
        awaitCount(finished, n, "readers to return after close");
        double closeAllSeconds = (System.nanoTime() - t0) / 1e9;
        hold.quit();

        double perConn = n;
        out.printf(Locale.ROOT, "RESULT impl=%s conns=%d jdk=%s carriers=%s accept_s=%.3f client_connect_s=%.3f"
                        + " fds_per_conn=%.3f heap_per_conn_b=%.0f rss_per_conn_b=%.0f heap_base_mb=%.1f heap_all_mb=%.1f"
                        + " rss_base_mb=%.1f rss_all_mb=%.1f spawn_us_p50=%.1f spawn_us_p99=%.1f spawn_us_max=%.1f"
                        + " echo_last_us=%s close_calls_s=%.3f close_all_s=%.3f close_cpu_s=%.3f%n",
                impl, n, Runtime.version(), System.getProperty("jdk.virtualThreadScheduler.parallelism", "default"),
                acceptSeconds, hold.connectSeconds, (all.fds - base.fds) / perConn, (all.heap - base.heap) / perConn,
                (all.rss - base.rss) / perConn, base.heap / 1048576.0, all.heap / 1048576.0, base.rss / 1048576.0,
                all.rss / 1048576.0, spawn[spawn.length / 2] / 1e3, spawn[spawn.length * 99 / 100] / 1e3,
                spawn[spawn.length - 1] / 1e3, pong < 0 ? "timeout" : String.format(Locale.ROOT, "%.1f", pong / 1e3),
                closeCallsSeconds, closeAllSeconds, closeCpuSeconds);
        out.flush();
    }

    /** Binds on all addresses (the client spreads over 127.0.0.x) and accepts in a virtual thread. */
    private void listen() throws IOException {
        InetSocketAddress any = new InetSocketAddress("0.0.0.0", 0);
        if (impl.startsWith(EchoServer.TEARDOWN)) {
            TcpListener l = TcpListener.bind(any, 4096);
            port = l.localAddress().getPort();
            VirtualThreads.start(() -> {
                for (;;) {
                    TcpSocket s = EchoServer.accept(l);
                    open.add(s);
                    accepted.incrementAndGet();
                    VirtualThreads.start(() -> read(s));
                }
            });
        } else {
            ServerSocket l = new ServerSocket();
            l.bind(any, 4096);
            port = l.getLocalPort();
            VirtualThreads.start(() -> {
                for (;;) {
                    Socket s = EchoServer.accept(l);
                    open.add(s);
                    accepted.incrementAndGet();
                    VirtualThreads.start(() -> read(s));
                }
            });
        }
    }

    private void read(TcpSocket s) {
        ByteBuffer b = ByteBuffer.allocate(16);
        reading.incrementAndGet();
        try {
            while (s.read(b.clear()) > 0) {
                s.write(b.flip());
            }
            s.close();
        } catch (IOException e) {
            // closed by the measurement (SocketClosedException) or reset
        } finally {
            finished.incrementAndGet();
        }
    }

    private void read(Socket s) {
        byte[] b = new byte[16];
        reading.incrementAndGet();
        try {
            for (int k; (k = s.getInputStream().read(b)) > 0;) {
                s.getOutputStream().write(b, 0, k);
            }
            s.close();
        } catch (IOException e) {
            // closed by the measurement, or reset
        } finally {
            finished.incrementAndGet();
        }
    }

    /**
     * With {@code -Dteardown.bench.histogram=PREFIX}: the heap's class histogram (as {@code jcmd PID GC.class_histogram},
     * after a full GC) into {@code PREFIX.NAME.txt}, to see what an idle connection costs object by object.
     */
    private static void histogram(String name) throws Exception {
        String prefix = System.getProperty("teardown.bench.histogram");
        if (prefix == null) {
            return;
        }
        Object text = ManagementFactory.getPlatformMBeanServer().invoke(
                new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                new Object[] {new String[0]}, new String[] {String[].class.getName()});
        Files.writeString(Paths.get(prefix + "." + name + ".txt"), String.valueOf(text));
    }

    /** Nanoseconds from starting a new virtual thread until it runs, {@code count} samples 1 ms apart, sorted. */
    private static long[] spawnLatencies(int count) throws InterruptedException {
        long[] ns = new long[count];
        for (int i = 0; i < count; i++) {
            long[] ran = new long[1];
            CountDownLatch done = new CountDownLatch(1);
            long t0 = System.nanoTime();
            VirtualThreads.start(() -> {
                ran[0] = System.nanoTime();
                done.countDown();
            });
            if (!done.await(10, TimeUnit.SECONDS)) {
                ns[i] = TimeUnit.SECONDS.toNanos(10);
            } else {
                ns[i] = ran[0] - t0;
            }
            Thread.sleep(1);
        }
        Arrays.sort(ns);
        return ns;
    }

    private static void awaitCount(AtomicInteger c, int n, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        while (c.get() < n) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out waiting for " + what + ": " + c.get() + " of " + n);
            }
            Thread.sleep(5);
        }
    }

    /** Descriptors, heap after GC and RSS of this process. */
    record Sample(long fds, long heap, long rss) {
        static Sample take() throws IOException, InterruptedException {
            for (int i = 0; i < 3; i++) {
                System.gc();
                Thread.sleep(200);
            }
            long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            long fds;
            try (Stream<Path> s = Files.list(Paths.get("/proc/self/fd"))) {
                fds = s.count();
            }
            long rss = 0;
            for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
            return new Sample(fds, heap, rss);
        }
    }

    /** An {@code echo-load --hold} child holding idle connections; ping and quit through its stdin. */
    static final class Hold {
        private final Process p;
        private final BufferedReader in;
        final double connectSeconds;

        private Hold(Process p, BufferedReader in, double connectSeconds) {
            this.p = p;
            this.in = in;
            this.connectSeconds = connectSeconds;
        }

        static Hold start(String load, int port, String addresses, int n) throws IOException {
            List<String> cmd = new ArrayList<>(List.of(load, "--hold", "--port", Integer.toString(port), "--address",
                    addresses, "--clients", Integer.toString(n)));
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII));
            String line = in.readLine();
            if (line == null || !line.startsWith("HELD ")) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", cmd) + " printed " + line + " instead of HELD");
            }
            return new Hold(p, in, Double.parseDouble(line.split(" ")[2]));
        }

        /** One 1-byte echo on the last connection, in ns; -1 if it did not come back within 10 s. */
        long ping() throws IOException {
            p.getOutputStream().write("ping\n".getBytes(StandardCharsets.US_ASCII));
            p.getOutputStream().flush();
            String line = in.readLine();
            return line != null && line.startsWith("PONG ") && !line.contains("timeout") ? Long.parseLong(line.substring(5)) : -1;
        }

        void quit() throws IOException, InterruptedException {
            p.getOutputStream().write("quit\n".getBytes(StandardCharsets.US_ASCII));
            p.getOutputStream().flush();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }
}
