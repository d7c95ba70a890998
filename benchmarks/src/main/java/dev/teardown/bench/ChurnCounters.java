package dev.teardown.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Per-iteration kernel counters of a churn benchmark, reported by JMH next to the throughput (one value per
 * iteration; read them per iteration or as the mean over iterations, not as JMH's summed total):
 *
 * <ul>
 * <li>{@code timeWaitPerOp}: change of the namespace's TIME_WAIT count (teardown's TcpTable, sock_diag)
 *     over the iteration, per completed connection. About 1 when the client closes first and no entry is
 *     recycled, 0 for abort; under tcp_tw_reuse entries are recycled as ports come round again, see
 *     {@code twRecycledPerOp}.
 * <li>{@code twRecycledPerOp}: TIME_WAIT entries connect() reused (TcpExt TWRecycled) per connection.
 * <li>{@code rstPerOp}: RST segments sent in the namespace ("Tcp: OutRsts", client and listener) per
 *     connection.
 * <li>{@code eaddrnotavail}, {@code errors}: failed connections in the iteration (EADDRNOTAVAIL at connect:
 *     port exhaustion; anything else).
 * </ul>
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.EVENTS)
public class ChurnCounters {
    public double timeWaitPerOp;
    public double twRecycledPerOp;
    public double rstPerOp;
    public long eaddrnotavail;
    public long errors;

    long ops;
    private int tw0;
    private long rst0;
    private long rec0;

    @Setup(Level.Iteration)
    public void start() {
        ops = 0;
        eaddrnotavail = 0;
        errors = 0;
        timeWaitPerOp = 0;
        twRecycledPerOp = 0;
        rstPerOp = 0;
        tw0 = Kernel.timeWait();
        rst0 = Kernel.outRsts();
        rec0 = Kernel.twRecycled();
    }

    @TearDown(Level.Iteration)
    public void end() {
        double n = Math.max(1, ops);
        timeWaitPerOp = (Kernel.timeWait() - tw0) / n;
        rstPerOp = (Kernel.outRsts() - rst0) / n;
        twRecycledPerOp = (Kernel.twRecycled() - rec0) / n;
    }
}
