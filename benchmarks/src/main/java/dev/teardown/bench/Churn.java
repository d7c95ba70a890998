package dev.teardown.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Churn: connect, the optional 1-byte exchange, close, as connections per second on one thread, against the
 * shared C accept-close-listener in the mode the variant needs (as native/churn, run by the same driver).
 * A failed connection is counted in {@link ChurnCounters} (EADDRNOTAVAIL or other) and the loop goes on, as
 * churn does; the score then counts it as an operation, so read it with the counters.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Thread)
public abstract class Churn {
    @Param({"false", "true"})
    public boolean exchange;

    private Client client;
    private Variant variant;
    private InetSocketAddress to;

    protected abstract String clientName();

    protected abstract String variantName();

    @Setup(Level.Trial)
    public void trial() {
        variant = Variant.of(variantName());
        client = Client.create(clientName());
        to = Listener.shared(variant.listener(exchange));
    }

    @Benchmark
    public void cycle(ChurnCounters k) {
        try {
            client.connect(to);
            if (exchange) {
                client.exchange();
            }
            if (variant == Variant.SERVER_FIRST) {
                client.readToEof();
            }
            client.close(variant);
            k.ops++;
        } catch (IOException e) {
            client.abandon();
            if (Client.isAddressNotAvailable(e)) {
                k.eaddrnotavail++;
            } else {
                k.errors++;
            }
        }
    }

    @TearDown(Level.Trial)
    public void done() {
        client.abandon();
    }
}
