import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The agent's cost per connection, measured so that the machine's drift cancels: two JVMs, one without the agent and
 * one with it, each in a network namespace of its own with its own {@code native/accept-close-listener}, both warmed
 * up, then take turns running the churn loop ({@code SocketChannel.open(address)} then {@code close()}, one thread)
 * for one window each, in the order A B B A A B ..., while the other waits on its standard input. Each pair of
 * adjacent windows ran under the same conditions of a shared machine; the report is the median over the pairs of
 * (connections per second with the agent) / (without), and the same for the connecting thread's CPU time. Each JVM
 * runs on CPU 0 and its listener on CPU 1 (when there are two): left to the scheduler, whether the two share a CPU
 * moves a process's throughput by up to 20 % for its whole life.
 *
 * <p>With {@code --echo R} the loop is an echo workload instead: per connection R round trips of 64 bytes through
 * the listener's echo, and the rate counts round trips (many reads and writes per connection).
 *
 * <p>With {@code --http} the loop is a pooled HTTP client instead: the JDK's {@code java.net.http.HttpClient}
 * (HTTP/1.1, one client, its keep-alive pool) sends GET requests one after the other to a
 * {@code com.sun.net.httpserver} server in a JVM of its own (on CPU 1, in place of the listener), so every request
 * is a lease from the client's pool and a release back to it, what the agent records for pooled clients. The rate
 * counts requests and the CPU is the whole client process's (the client's selector thread does the socket work).
 *
 * <p>{@code java AlternatingChurn.java NATIVE_BIN PAIRS WINDOW_MS [--echo R | --http] -- JVM_OPTIONS_A --
 * JVM_OPTIONS_B} (run by {@code agent-churn.sh alternate}; needs root for {@code unshare -n}). A child is this file
 * run as {@code java AlternatingChurn.java --child PORT WINDOW_MS ECHOES} (ECHOES -1: HTTP), the HTTP server as
 * {@code java AlternatingChurn.java --http-server}.
 */
public final class AlternatingChurn {
    private static final String SELF = "benchmarks/agent/AlternatingChurn.java"; // the script runs from the repository

    public static void main(String[] args) throws Exception {
        if (args[0].equals("--http-server")) {
            httpServer();
            return;
        }
        if (args[0].equals("--child")) {
            child(Integer.parseInt(args[1]), Long.parseLong(args[2]), args.length > 3 ? Integer.parseInt(args[3]) : 0);
            return;
        }
        String bin = args[0];
        int pairs = Integer.parseInt(args[1]);
        long windowMs = Long.parseLong(args[2]);
        int first = 3;
        int echoes = 0;
        if (args[3].equals("--echo")) {
            echoes = Integer.parseInt(args[4]);
            first = 5;
        } else if (args[3].equals("--http")) {
            echoes = -1;
            first = 4;
        }
        String unit = echoes > 0 ? "round trips/s" : echoes < 0 ? "requests/s" : "conn/s";
        List<List<String>> options = new ArrayList<>();
        for (int i = first; i < args.length; i++) {
            if (args[i].equals("--")) {
                options.add(new ArrayList<>());
            } else {
                options.get(options.size() - 1).add(args[i]);
            }
        }
        if (options.size() != 2) {
            throw new IllegalArgumentException("expected: BIN PAIRS WINDOW_MS -- OPTIONS_A -- OPTIONS_B");
        }
        Child a = new Child(bin, options.get(0), windowMs, echoes);
        Child b = new Child(bin, options.get(1), windowMs, echoes);
        try {
            a.await("ready");
            b.await("ready");
            double[] rate = new double[pairs];
            double[] cpu = new double[pairs];
            double[] rateA = new double[pairs];
            double[] rateB = new double[pairs];
            for (int p = 0; p < pairs; p++) {
                // A B, then B A: a drift within a pair favours each side equally often
                long[] wa;
                long[] wb;
                if (p % 2 == 0) {
                    wa = a.window();
                    wb = b.window();
                } else {
                    wb = b.window();
                    wa = a.window();
                }
                rateA[p] = wa[0] * 1e9 / wa[2];
                rateB[p] = wb[0] * 1e9 / wb[2];
                rate[p] = rateB[p] / rateA[p];
                cpu[p] = ((double) wa[1] / wa[0]) / ((double) wb[1] / wb[0]);
                System.out.printf("pair %3d  A %6.0f %s %6.0f ns cpu  B %6.0f %s %6.0f ns cpu  B/A %.3f  cpu A/B %.3f%n",
                        p + 1, rateA[p], unit, (double) wa[1] / wa[0], rateB[p], unit, (double) wb[1] / wb[0], rate[p],
                        cpu[p]);
            }
            System.out.printf("median over %d pairs of %d ms windows: A %.0f %s, B %.0f %s; B/A throughput %.3f "
                    + "(quartiles %.3f-%.3f); by CPU per operation %.3f (quartiles %.3f-%.3f)%n", pairs, windowMs,
                    median(rateA), unit, median(rateB), unit, median(rate), quantile(rate, 0.25), quantile(rate, 0.75),
                    median(cpu), quantile(cpu, 0.25), quantile(cpu, 0.75));
        } finally {
            a.stop();
            b.stop();
        }
    }

    private static double median(double[] v) {
        return quantile(v, 0.5);
    }

    private static double quantile(double[] v, double q) {
        double[] s = v.clone();
        Arrays.sort(s);
        double i = q * (s.length - 1);
        int lo = (int) Math.floor(i);
        int hi = (int) Math.ceil(i);
        return s[lo] + (s[hi] - s[lo]) * (i - lo);
    }

    /** A child JVM in a fresh network namespace with its own listener, driven a window at a time. */
    private static final class Child {
        private final Process process;
        private final BufferedReader out;
        private final PrintStream in;

        Child(String bin, List<String> jvmOptions, long windowMs, int echoes) throws IOException {
            String java = ProcessHandle.current().info().command().orElse("java");
            String script = "set -e; ip link set lo up; sysctl -qw net.ipv4.ip_local_port_range='1024 65535' "
                    + "net.ipv4.tcp_tw_reuse=1 net.ipv4.tcp_tw_reuse_delay=1000 net.ipv4.tcp_timestamps=1; "
                    + "pin0=; pin1=; if [ \"$(nproc)\" -ge 2 ]; then pin0='taskset -c 0'; pin1='taskset -c 1'; fi; "
                    + "f=$(mktemp); " + (echoes < 0 ? "$pin1 \"$2\" " + SELF + " --http-server" // same JVM binary
                            : "$pin1 \"$1\"/accept-close-listener --mode wait-for-client --threads 1") + " >\"$f\" & l=$!; "
                    + "trap 'kill $l; rm -f \"$f\"' EXIT; "
                    + "until grep -q '[0-9]' \"$f\"; do sleep 0.05; done; "
                    + "port=$(grep -o '[0-9]\\+' \"$f\" | tail -1); rm -f \"$f\"; shift; "
                    + "$pin0 \"$@\" --child \"$port\" " + windowMs + " " + echoes;
            List<String> cmd = new ArrayList<>(List.of("unshare", "-n", "bash", "-c", script, "child", bin, java));
            cmd.addAll(jvmOptions);
            cmd.add(SELF);
            process = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            in = new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8);
        }

        void await(String word) throws IOException {
            String line = out.readLine();
            if (!word.equals(line)) {
                throw new IllegalStateException("child said " + line + ", expected " + word);
            }
        }

        /** One window: connections, CPU ns and wall ns. */
        long[] window() throws IOException {
            in.println("go");
            String line = out.readLine();
            if (line == null) {
                throw new IllegalStateException("child exited");
            }
            return Arrays.stream(line.trim().split(" ")).mapToLong(Long::parseLong).toArray();
        }

        void stop() {
            in.close();
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                process.destroy();
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * The loop: {@code SocketChannel.open} then {@code close}, counting connections; or with {@code echoes} > 0, per
     * connection that many round trips of 64 bytes through the listener's echo (a write, a read of the 64 bytes
     * back), counting round trips.
     */
    private static void child(int port, long windowMs, int echoes) throws Exception {
        if (echoes < 0) {
            httpChild(port, windowMs);
            return;
        }
        InetSocketAddress to = new InetSocketAddress("127.0.0.1", port);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        ByteBuffer buf = ByteBuffer.allocateDirect(64);
        windows(windowMs, threads::getCurrentThreadCpuTime, () -> cycle(to, echoes, buf));
    }

    /** What a window repeats; returns the operations it counts. */
    private interface Step {
        int run() throws Exception;
    }

    /**
     * Warms {@code step} up for 5 s, says "ready", then for every line on standard input runs it for one window and
     * prints the operations, the CPU ns ({@code cpu}) and the wall ns of the window.
     */
    private static void windows(long windowMs, java.util.function.LongSupplier cpu, Step step) throws Exception {
        for (long end = System.nanoTime() + 5_000_000_000L; System.nanoTime() < end; ) {
            step.run();
        }
        System.out.println("ready");
        BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        while (commands.readLine() != null) {
            long n = 0;
            long c0 = cpu.getAsLong();
            long t0 = System.nanoTime();
            long end = t0 + windowMs * 1_000_000L;
            long now;
            do {
                n += step.run();
            } while ((now = System.nanoTime()) < end);
            System.out.println(n + " " + (cpu.getAsLong() - c0) + " " + (now - t0));
        }
    }

    /** One connection: opened, {@code echoes} round trips, closed. Returns the operations done (1, or echoes). */
    private static int cycle(InetSocketAddress to, int echoes, ByteBuffer buf) throws IOException {
        try (SocketChannel ch = SocketChannel.open(to)) {
            for (int i = 0; i < echoes; i++) {
                buf.clear();
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                buf.clear();
                while (buf.hasRemaining()) {
                    if (ch.read(buf) < 0) {
                        throw new IOException("the listener closed mid-echo");
                    }
                }
            }
        }
        return Math.max(1, echoes);
    }

    /** The {@code --http} loop: GET after GET through one pooled client; counts requests, CPU of the whole process. */
    private static void httpChild(int port, long windowMs) throws Exception {
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).build();
        windows(windowMs, os::getProcessCpuTime, () -> request(client, get));
    }

    private static int request(HttpClient client, HttpRequest get) throws Exception {
        HttpResponse<byte[]> r = client.send(get, HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200 || r.body().length != 64) {
            throw new IOException("unexpected response " + r.statusCode() + ", " + r.body().length + " bytes");
        }
        return 1;
    }

    /** The {@code --http} server: 64 bytes for every request, keep-alive; prints its port. */
    private static void httpServer() throws IOException {
        System.setProperty("sun.net.httpserver.nodelay", "true"); // else headers and body meet the delayed ACK: 40 ms
        com.sun.net.httpserver.HttpServer server =
                com.sun.net.httpserver.HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 128);
        byte[] body = new byte[64];
        server.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        System.out.println(server.getAddress().getPort());
    }
}
