package dev.teardown.inspect;

import dev.teardown.TcpState;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Reading a table of at least 20,000 TIME_WAIT sockets three ways: {@link TcpTable#snapshot()} (sock_diag),
 * {@link TcpTable#snapshotFromProc} (parsing /proc/thread-self/net/tcp{,6}), and {@code ss -tan} run as a
 * process. Each trial makes a private network namespace (root needed) with a wide ip_local_port_range and
 * fills it with client-side TIME_WAIT (the client connects and closes first); the benchmark thread joins
 * that namespace (setns) for each iteration. TIME_WAIT lasts 60 s, so a trial must stay well under a
 * minute: keep the defaults below. Not a JUnit test; run on purpose, see java/INSPECT-PERFORMANCE.md.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(3)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class TcpTableBenchmark {
    @Param("20000")
    public int timeWaits;

    NetNs ns;
    int expected;

    @Setup(Level.Trial)
    public void fillNamespaceWithTimeWait() throws Exception {
        ns = NetNs.create();
        ns.sysctl("net.ipv4.ip_local_port_range", "1024 65535");
        ns.sysctl("net.ipv4.tcp_tw_reuse", "0");
        ns.sysctl("net.ipv4.tcp_max_tw_buckets", "262144");
        long t0 = System.nanoTime();
        ns.call(() -> {
            try (ServerSocketChannel server = ServerSocketChannel.open()) {
                server.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 4096);
                for (int i = 0; i < timeWaits; i++) {
                    SocketChannel client = SocketChannel.open(server.getLocalAddress());
                    SocketChannel accepted = server.accept();
                    client.close(); // client first: the client side keeps TIME_WAIT
                    accepted.close();
                }
            }
            return null;
        });
        Map<TcpState, Integer> counts = ns.call(TcpTable::counts);
        expected = counts.get(TcpState.TIME_WAIT);
        System.out.println("namespace " + ns.path() + ": " + counts + " after " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        if (expected < timeWaits) {
            throw new IllegalStateException("only " + expected + " TIME_WAIT sockets, wanted " + timeWaits);
        }
    }

    @TearDown(Level.Trial)
    public void dropNamespace() {
        ns.close();
    }

    /** Puts the benchmark thread into the namespace for one iteration. */
    @State(Scope.Thread)
    public static class InNamespace {
        AutoCloseable back;

        @Setup(Level.Iteration)
        public void enter(TcpTableBenchmark b) throws Exception {
            back = b.ns.enter();
            int seen = TcpTable.counts().get(TcpState.TIME_WAIT);
            if (seen < b.timeWaits) {
                throw new IllegalStateException("benchmark thread sees " + seen + " TIME_WAIT, not the namespace's");
            }
        }

        @TearDown(Level.Iteration)
        public void leave() throws Exception {
            back.close();
        }
    }

    @Benchmark
    public List<TcpEntry> sockDiagSnapshot(InNamespace in) {
        return TcpTable.snapshot();
    }

    /** As {@link #sockDiagSnapshot}, and every entry's two InetSocketAddress built (they are made on first use). */
    @Benchmark
    public int sockDiagSnapshotWithAddresses(InNamespace in) {
        int h = 0;
        for (TcpEntry e : TcpTable.snapshot()) {
            h += e.local().hashCode() + e.remote().hashCode();
        }
        return h;
    }

    @Benchmark
    public Map<TcpState, Integer> sockDiagCounts(InNamespace in) {
        return TcpTable.counts();
    }

    @Benchmark
    public List<TcpEntry> procNetTcpParse(InNamespace in) {
        return TcpTable.snapshotFromProc(TcpTable.ALL_STATES, 0);
    }

    /** Only the kernel's side of the /proc parse: the bytes of tcp and tcp6, not parsed. */
    @Benchmark
    public int procNetTcpReadOnly(InNamespace in) throws IOException {
        return ProcNetTcp.readAll(ProcNetTcp.TCP).length + ProcNetTcp.readAll(ProcNetTcp.TCP6).length;
    }

    /** {@code ss -tan} started from the benchmark thread (so it inherits the namespace), output read to the end. */
    @Benchmark
    public int ssProcess(InNamespace in) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("ss", "-tan").redirectErrorStream(true).start();
        int lines = 0;
        try (InputStream out = p.getInputStream()) {
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = out.read(buf)) > 0) {
                for (int i = 0; i < n; i++) {
                    if (buf[i] == '\n') {
                        lines++;
                    }
                }
            }
        }
        if (p.waitFor() != 0 || lines < 20_000) {
            throw new IllegalStateException("ss -tan exited " + p.exitValue() + " with " + lines + " lines");
        }
        return lines;
    }
}
