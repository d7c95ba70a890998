package dev.teardown.micrometer;

import dev.teardown.CloseMode;
import dev.teardown.CloseOutcome;
import dev.teardown.inspect.CloseListeners;
import dev.teardown.inspect.SocketOwners;
import dev.teardown.TcpState;
import dev.teardown.inspect.TcpTable;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Micrometer metrics for this JVM's TCP sockets:
 * <pre>{@code
 * new TeardownMetrics().bindTo(registry);
 * }</pre>
 * <ul>
 * <li>{@code teardown.sockets} (gauge, tag {@code state}: {@code established}, {@code close_wait},
 *   {@code fin_wait_2}...): this process's sockets in each state, whoever opened them (teardown, JDK channels,
 *   Netty), read from the kernel's table and {@code /proc/self/fd};</li>
 * <li>{@code teardown.closes} (counter, tags {@code mode}: {@code release}, {@code shutdown}, {@code abort},
 *   {@code graceful}, {@code linger}; {@code sent}: {@code nothing}, {@code fin}, {@code rst},
 *   {@code fin_then_rst}): closes made through teardown, by mode and by what went on the wire;</li>
 * <li>{@code teardown.close.wait.age} (time gauge, seconds): how long at least since the peer's FIN on this
 *   process's oldest CLOSE_WAIT socket (the kernel's {@code tcpi_last_ack_recv}); 0 when there is none.</li>
 * </ul>
 * The gauges share one reading of the table, taken when a gauge is read and at most once per {@code maxAge}
 * (1 s by default), so one scrape costs one reading. {@link #close()} stops counting closes.
 */
public final class TeardownMetrics implements MeterBinder, AutoCloseable {
    private static final TcpState[] STATES = {TcpState.ESTABLISHED, TcpState.SYN_SENT, TcpState.SYN_RECV, TcpState.FIN_WAIT1,
        TcpState.FIN_WAIT2, TcpState.TIME_WAIT, TcpState.CLOSE, TcpState.CLOSE_WAIT, TcpState.LAST_ACK, TcpState.LISTEN,
        TcpState.CLOSING};

    private final long maxAgeNanos;
    private final Iterable<io.micrometer.core.instrument.Tag> tags;
    private final Counter[][] closes = new Counter[CloseMode.Kind.values().length][CloseOutcome.Sent.values().length];
    private final Consumer<CloseOutcome> listener = this::count;
    private volatile Reading reading;
    private boolean listening;

    /** Metrics with the table read at most once per second. */
    public TeardownMetrics() {
        this(Duration.ofSeconds(1), Tags.empty());
    }

    /**
     * Metrics with the table read at most once per {@code maxAge}, and {@code tags} on every meter.
     *
     * @throws IllegalArgumentException if {@code maxAge} is null or negative
     */
    public TeardownMetrics(Duration maxAge, Iterable<io.micrometer.core.instrument.Tag> tags) {
        if (maxAge == null || maxAge.isNegative()) {
            throw new IllegalArgumentException("maxAge must be >= 0, got " + maxAge);
        }
        this.maxAgeNanos = maxAge.toNanos();
        this.tags = tags == null ? Tags.empty() : tags;
    }

    @Override
    public synchronized void bindTo(MeterRegistry registry) {
        for (TcpState s : STATES) {
            Gauge.builder("teardown.sockets", this, m -> m.current().count(s))
                    .tags(tags).tag("state", name(s))
                    .description("This process's TCP sockets in a state")
                    .baseUnit("sockets")
                    .register(registry);
        }
        TimeGauge.builder("teardown.close.wait.age", this, TimeUnit.MILLISECONDS, m -> m.current().oldestCloseWaitMillis)
                .tags(tags)
                .description("At least this long since the peer's FIN on this process's oldest CLOSE_WAIT socket")
                .register(registry);
        for (CloseMode.Kind k : CloseMode.Kind.values()) {
            for (CloseOutcome.Sent s : CloseOutcome.Sent.values()) {
                closes[k.ordinal()][s.ordinal()] = Counter.builder("teardown.closes")
                        .tags(tags).tag("mode", k.name().toLowerCase(Locale.ROOT)).tag("sent", s.name().toLowerCase(Locale.ROOT))
                        .description("Closes through teardown, by close mode and by what went on the wire")
                        .register(registry);
            }
        }
        if (!listening) {
            CloseListeners.add(listener);
            listening = true;
        }
    }

    /** Stops counting closes (the meters stay registered). */
    @Override
    public synchronized void close() {
        if (listening) {
            CloseListeners.remove(listener);
            listening = false;
        }
    }

    private void count(CloseOutcome o) {
        Counter c = closes[o.mode().kind().ordinal()][o.sent().ordinal()];
        if (c != null) {
            c.increment();
        }
    }

    static String name(TcpState s) {
        return switch (s) {
            case FIN_WAIT1 -> "fin_wait_1";
            case FIN_WAIT2 -> "fin_wait_2";
            default -> s.name().toLowerCase(Locale.ROOT);
        };
    }

    private Reading current() {
        Reading r = reading;
        long now = System.nanoTime();
        if (r == null || now - r.nanos > maxAgeNanos) {
            synchronized (this) {
                r = reading;
                if (r == null || now - r.nanos > maxAgeNanos) {
                    r = Reading.take();
                    reading = r;
                }
            }
        }
        return r;
    }

    /** One reading of the table, restricted to this process's sockets. */
    private static final class Reading {
        final long nanos = System.nanoTime();
        final int[] byState = new int[16];
        long oldestCloseWaitMillis;

        static Reading take() {
            Reading r = new Reading();
            Set<Long> mine = SocketOwners.ofThisProcess();
            if (mine.isEmpty()) {
                return r;
            }
            EnumSet<TcpState> others = EnumSet.allOf(TcpState.class);
            others.remove(TcpState.CLOSE_WAIT);
            TcpTable.forEach(others, e -> {
                if (e.inode() != 0 && mine.contains(e.inode())) {
                    r.byState[e.state() == TcpState.NEW_SYN_RECV ? TcpState.SYN_RECV.kernelNumber() : e.state().kernelNumber()]++;
                }
            });
            TcpTable.forEachWithInfo(EnumSet.of(TcpState.CLOSE_WAIT), e -> {
                if (e.inode() != 0 && mine.contains(e.inode())) {
                    r.byState[TcpState.CLOSE_WAIT.kernelNumber()]++;
                    e.info().ifPresent(i -> r.oldestCloseWaitMillis = Math.max(r.oldestCloseWaitMillis,
                            i.sinceLastAckReceived().toMillis()));
                }
            });
            return r;
        }

        int count(TcpState s) {
            return byState[s.kernelNumber()];
        }
    }
}
