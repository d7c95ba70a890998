package dev.teardown.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

/**
 * Teardown latency: the time of the close path alone, per close mode, as a distribution (SampleTime).
 *
 * <p><b>How the set-up is kept out.</b> A fresh connection is needed for every close, so it is made in a
 * {@code @Setup(Level.Invocation)} method: connect, then what the variant needs before its close (server-first
 * reads to the server's EOF, linger does the 1-byte exchange so our data is acknowledged). JMH runs that
 * helper outside the timed region; the timed region is the close path only. JMH's caveats for
 * Level.Invocation: (1) each sample carries two {@code System.nanoTime()} calls (about 20-25 ns here, small
 * against a 5-50 µs close); (2) the helper's work may change the state the benchmark sees, which here is the
 * point (a just-connected socket, as in churn); (3) helper calls and timestamps happen for every invocation,
 * so throughput numbers from such a benchmark would be wrong: only the per-sample times are used. C's
 * close-path loop times the same region with {@code CLOCK_MONOTONIC}, so the columns compare like with like.
 *
 * <p>The per-invocation teardown also reads the thread's allocation counter ({@link AllocProbe}): bytes
 * allocated by the close path alone, over the measurement iterations.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
public abstract class CloseLatency {
    private Client client;
    private Variant variant;
    private InetSocketAddress to;
    private AllocProbe alloc;

    /** The client name (see {@link Client}). */
    protected abstract String clientName();

    /** The {@code mode} parameter. */
    protected abstract String modeName();

    @Setup(Level.Trial)
    public void trial() {
        variant = Variant.of(modeName());
        client = Client.create(clientName());
        to = Listener.shared(variant.listener(false));
        alloc = new AllocProbe();
    }

    @Setup(Level.Iteration)
    public void iteration(IterationParams iteration) {
        alloc.counting(iteration.getType() == IterationType.MEASUREMENT);
    }

    @Setup(Level.Invocation)
    public void connect() throws IOException {
        client.connect(to);
        if (variant == Variant.SERVER_FIRST) {
            client.readToEof();
        }
        if (variant.exchangeBeforeClose()) {
            client.exchange();
        }
        client.prepareClose(variant);
        alloc.mark();
    }

    @Benchmark
    public void close() throws IOException {
        client.close(variant);
    }

    @TearDown(Level.Invocation)
    public void closed() {
        alloc.measure();
    }

    @TearDown(Level.Trial)
    public void report() {
        alloc.report(getClass().getSimpleName(), modeName());
        client.abandon();
    }
}
