import dev.teardown.CloseMode;
import dev.teardown.jdk.JdkSockets;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * JdkSockets.close against the JDK's own close of a freshly connected blocking SocketChannel, per mode, in one JVM:
 * windows of N closes taking turns (JDK, teardown, teardown, JDK, ...), so that the machine's drift cancels within
 * each pair. Each close is timed alone (the connect before it is not). Prints, per mode, the p50 of each side over all
 * windows, the median of the per-pair p50 ratios and its quartiles.
 *
 * Usage: java -cp benchmarks.jar JdkCloseAlternating.java PORT WARMUP MEASURED WINDOW [modes]
 * (a native/accept-close-listener --mode wait-for-client on 127.0.0.1:PORT; see jdk-close.sh)
 */
public class JdkCloseAlternating {
    static final CloseMode GRACEFUL = CloseMode.graceful(Duration.ofSeconds(2));
    static final CloseMode LINGER = CloseMode.linger(Duration.ofSeconds(2));

    public static void main(String[] a) throws Exception {
        InetSocketAddress to = new InetSocketAddress("127.0.0.1", Integer.parseInt(a[0]));
        int warm = Integer.parseInt(a[1]);
        int measured = Integer.parseInt(a[2]);
        int window = Integer.parseInt(a[3]);
        List<String> modes = a.length > 4 ? Arrays.asList(a[4].split(",")) : List.of("release", "shutdown", "abort", "graceful", "linger");
        ByteBuffer one = ByteBuffer.allocateDirect(1);
        System.out.printf("JDK %s, add-opens %s%n", Runtime.version(), dev.teardown.posix.JdkChannels.available());
        System.out.println("mode       jdk_p50_us  teardown_p50_us  ratio_p50  pair_ratio_median [q1, q3]  pairs");
        for (String mode : modes) {
            long[] scratch = new long[window];
            for (int i = 0; i < warm / window; i++) { // both sides warmed
                run(to, mode, false, window, scratch, one);
                run(to, mode, true, window, scratch, one);
            }
            List<Long> jdk = new ArrayList<>();
            List<Long> td = new ArrayList<>();
            List<Double> ratios = new ArrayList<>();
            int pairs = measured / window;
            for (int p = 0; p < pairs; p++) {
                boolean tdFirst = p % 2 == 1;
                long[] x = new long[window];
                long[] y = new long[window];
                run(to, mode, tdFirst, window, tdFirst ? y : x, one);
                run(to, mode, !tdFirst, window, tdFirst ? x : y, one);
                for (long v : x) {
                    jdk.add(v);
                }
                for (long v : y) {
                    td.add(v);
                }
                ratios.add((double) p50(y) / p50(x));
            }
            double[] r = ratios.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            System.out.printf("%-10s %10.2f  %15.2f  %9.2f  %17.2f [%.2f, %.2f]  %d%n", mode,
                    p50(jdk) / 1000.0, p50(td) / 1000.0, (double) p50(td) / p50(jdk), r[r.length / 2], r[r.length / 4],
                    r[r.length * 3 / 4], pairs);
        }
    }

    static void run(InetSocketAddress to, String mode, boolean teardown, int n, long[] out, ByteBuffer one) throws IOException {
        for (int i = 0; i < n; i++) {
            SocketChannel c = SocketChannel.open(to);
            if (mode.equals("linger")) {
                one.clear().put((byte) 'x').flip();
                c.write(one);
            }
            long t0 = System.nanoTime();
            close(c, mode, teardown);
            out[i] = System.nanoTime() - t0;
        }
    }

    static final ByteBuffer EOF = ByteBuffer.allocateDirect(64);

    static void close(SocketChannel c, String mode, boolean teardown) throws IOException {
        if (teardown) {
            JdkSockets.close(c, switch (mode) {
                case "release" -> CloseMode.RELEASE;
                case "shutdown" -> CloseMode.SHUTDOWN;
                case "abort" -> CloseMode.ABORT;
                case "graceful" -> GRACEFUL;
                default -> LINGER;
            });
            return;
        }
        switch (mode) {
            case "release" -> { }
            case "shutdown" -> {
                c.shutdownOutput();
                c.shutdownInput();
            }
            case "abort" -> c.setOption(StandardSocketOptions.SO_LINGER, 0);
            case "graceful" -> {
                c.shutdownOutput();
                while (c.read(EOF.clear()) >= 0) {
                    // discard
                }
            }
            default -> c.setOption(StandardSocketOptions.SO_LINGER, 2);
        }
        c.close();
    }

    static long p50(long[] v) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    static long p50(List<Long> v) {
        long[] s = v.stream().mapToLong(Long::longValue).toArray();
        return p50(s);
    }
}
