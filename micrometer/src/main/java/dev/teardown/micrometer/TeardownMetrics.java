package dev.teardown.micrometer;

import dev.teardown.CloseMode;
import dev.teardown.CloseOutcome;
import dev.teardown.TcpListener;
import dev.teardown.TcpState;
import dev.teardown.inspect.CloseListeners;
import dev.teardown.inspect.SocketOwners;
import dev.teardown.inspect.TcpEntry;
import dev.teardown.inspect.TcpTable;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Micrometer metrics for what this JVM does to TCP, in OpenTelemetry's vocabulary and under the names
 * {@code teardown doctor --prometheus} uses for the same things:
 * <pre>{@code
 * new TeardownMetrics().bindTo(registry);
 * }</pre>
 * <ul>
 * <li>{@code teardown.process.connection.count} (gauge; tags {@code network.connection.state} with the semantic
 *   conventions' values, {@code established}, {@code close_wait}, {@code time_wait}, {@code syn_received},
 *   {@code closed}..., see {@link TcpState#connectionStateName()}, and {@code network.transport=tcp}): the TCP
 *   sockets this process holds, whoever opened them (teardown, JDK channels, Netty), and those it caused that no
 *   process holds any more: the TIME_WAIT of its client-first closes and of its listeners' ports, its orphaned
 *   FIN_WAIT2, LAST_ACK and FIN_WAIT1 sockets, its listeners' half-open connections. A socket without a descriptor
 *   has no owner in the kernel's table, so these are attributed by address and port: to this process when their
 *   local port is one its listeners listen on, or when one of its sockets was seen with the same local and remote
 *   address and port (at a reading within the last {@value #REMEMBER_SECONDS} s). A client connection opened and
 *   closed between two readings is not seen: read more often ({@code maxAge}) to catch short-lived ones.</li>
 * <li>{@code teardown.process.close_wait.fin.age} (time gauge, seconds): at least how long since the peer's FIN on
 *   this process's oldest CLOSE_WAIT socket (the kernel's {@code tcpi_last_ack_recv}); 0 when there is none.</li>
 * <li>{@code teardown.process.close_wait.unread} (gauge, bytes): bytes this process never read from its CLOSE_WAIT
 *   sockets.</li>
 * <li>{@code teardown.closes} (counter; tags {@code mode}: {@code release}, {@code shutdown}, {@code abort},
 *   {@code graceful}, {@code linger}; {@code sent}: {@code nothing}, {@code fin}, {@code rst},
 *   {@code fin_then_rst}; {@code socket}: the kind of socket closed, {@code teardown}, {@code jdk-channel},
 *   {@code jdk-socket}, {@code netty-epoll}, {@code netty-nio} ({@link CloseOutcome#socketKind()})): closes made
 *   through teardown, of every kind of socket, by mode and by what went on the wire. Registered at binding for
 *   teardown's own sockets and the pairs that can happen (not {@code abort}/{@code fin}: a FIN goes before ABORT's
 *   RST only after an earlier shutdownOutput; not {@code shutdown}/{@code rst}: shutdown's FIN goes first); other
 *   kinds of socket, and a pair the close engine reports otherwise, get their counter when they first happen.</li>
 * <li>{@code teardown.accept.backoffs} (counter): accepts on teardown listeners that failed for want of descriptors
 *   or kernel memory and paused ({@link TcpListener#totalAcceptBackOffs()}).</li>
 * </ul>
 * In Prometheus these are {@code teardown_process_connection_count{network_connection_state="time_wait",
 * network_transport="tcp"}}, {@code teardown_process_close_wait_fin_age_seconds},
 * {@code teardown_process_close_wait_unread_bytes}, {@code teardown_closes_total} and
 * {@code teardown_accept_backoffs_total}.
 *
 * <p>The gauges share one reading of the table, taken when a gauge is read and at most once per {@code maxAge}
 * (1 s by default), so one scrape costs one reading (one sock_diag dump and a scan of {@code /proc/self/fd}).
 * {@link #close()} stops counting closes.
 */
public final class TeardownMetrics implements MeterBinder, AutoCloseable {
    /** How long a local address and port seen on one of this process's sockets stays attributed to it. */
    static final long REMEMBER_SECONDS = 130; // TIME_WAIT's 60 s, an orphan's tcp_fin_timeout (60 s), some margin
    private static final int REMEMBER_MAX = 200_000;
    private static final TcpState[] STATES = {TcpState.ESTABLISHED, TcpState.SYN_SENT, TcpState.SYN_RECV, TcpState.FIN_WAIT1,
        TcpState.FIN_WAIT2, TcpState.TIME_WAIT, TcpState.CLOSE, TcpState.CLOSE_WAIT, TcpState.LAST_ACK, TcpState.LISTEN,
        TcpState.CLOSING};

    private final long maxAgeNanos;
    private final Iterable<Tag> tags;
    private final Counter[][] closes = new Counter[CloseMode.Kind.values().length][CloseOutcome.Sent.values().length];
    private final Consumer<CloseOutcome> listener = this::count;
    /** Local and remote address and port of this process's sockets, with when they were last seen (nanoTime). */
    private final Map<List<InetSocketAddress>, Long> seen = new HashMap<>();
    private MeterRegistry registry;
    private volatile Reading reading;
    private boolean listening;

    /** Metrics with the table read at most once per second. */
    public TeardownMetrics() {
        this(Duration.ofSeconds(1), Tags.empty());
    }

    /**
     * Metrics with the table read at most once per {@code maxAge}, and {@code tags} on every meter.
     *
     * @param maxAge how old a reading may be when a gauge is read
     * @param tags added to every meter (null: none)
     * @throws IllegalArgumentException if {@code maxAge} is null or negative
     */
    public TeardownMetrics(Duration maxAge, Iterable<Tag> tags) {
        if (maxAge == null || maxAge.isNegative()) {
            throw new IllegalArgumentException("maxAge must be >= 0, got " + maxAge);
        }
        this.maxAgeNanos = maxAge.toNanos();
        this.tags = tags == null ? Tags.empty() : tags;
    }

    /** True for a (mode, what was sent) pair the close engine can report; see the class comment. */
    static boolean possible(CloseMode.Kind mode, CloseOutcome.Sent sent) {
        switch (mode) {
            case ABORT:
                return sent != CloseOutcome.Sent.FIN; // a FIN only ever goes before the RST (shutdownOutput earlier)
            case SHUTDOWN:
                return sent != CloseOutcome.Sent.RST; // shutdown's FIN goes first: an RST comes after it
            // graceful: an RST alone when its FIN, queued behind bytes never transmitted, never left
            default:
                return true;
        }
    }

    @Override
    public synchronized void bindTo(MeterRegistry registry) {
        this.registry = registry;
        for (TcpState s : STATES) {
            Gauge.builder("teardown.process.connection.count", this, m -> m.current().count(s))
                    .tags(tags).tag("network.connection.state", s.connectionStateName()).tag("network.transport", "tcp")
                    .description("TCP sockets this process holds or caused (TIME_WAIT, orphans), by state")
                    .register(registry);
        }
        TimeGauge.builder("teardown.process.close_wait.fin.age", this, TimeUnit.MILLISECONDS,
                        m -> m.current().oldestCloseWaitMillis)
                .tags(tags)
                .description("At least this long since the peer's FIN on this process's oldest CLOSE_WAIT socket")
                .register(registry);
        Gauge.builder("teardown.process.close_wait.unread", this, m -> m.current().closeWaitUnread)
                .tags(tags).baseUnit("bytes")
                .description("Bytes never read from this process's CLOSE_WAIT sockets")
                .register(registry);
        FunctionCounter.builder("teardown.accept.backoffs", this, m -> TcpListener.totalAcceptBackOffs())
                .tags(tags)
                .description("Accepts on teardown listeners that failed for want of descriptors or memory and paused")
                .register(registry);
        for (CloseMode.Kind k : CloseMode.Kind.values()) {
            for (CloseOutcome.Sent s : CloseOutcome.Sent.values()) {
                if (possible(k, s)) {
                    closes[k.ordinal()][s.ordinal()] = closeCounter(CloseOutcome.TEARDOWN, k, s);
                }
            }
        }
        if (!listening) {
            CloseListeners.add(listener);
            listening = true;
        }
    }

    private Counter closeCounter(String socket, CloseMode.Kind k, CloseOutcome.Sent s) {
        return Counter.builder("teardown.closes")
                .tags(tags).tag("mode", k.name().toLowerCase(Locale.ROOT)).tag("sent", s.name().toLowerCase(Locale.ROOT))
                .tag("socket", socket)
                .description("Closes through teardown, by close mode and by what went on the wire")
                .register(registry);
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
        int k = o.mode().kind().ordinal();
        int s = o.sent().ordinal();
        boolean own = CloseOutcome.TEARDOWN.equals(o.socketKind());
        Counter[][] table = own ? closes : others.computeIfAbsent(o.socketKind(),
                kind -> new Counter[CloseMode.Kind.values().length][CloseOutcome.Sent.values().length]);
        Counter c = table[k][s];
        if (c == null) {
            synchronized (this) {
                c = table[k][s];
                if (c == null && registry != null) {
                    c = closeCounter(o.socketKind(), o.mode().kind(), o.sent()); // another kind, or a pair not expected
                    table[k][s] = c;
                }
            }
        }
        if (c != null) {
            c.increment();
        }
    }

    /** The close counters of sockets teardown does not own (JDK, Netty), by kind; made when a kind first closes. */
    private final java.util.concurrent.ConcurrentHashMap<String, Counter[][]> others = new java.util.concurrent.ConcurrentHashMap<>();

    private Reading current() {
        Reading r = reading;
        long now = System.nanoTime();
        if (r == null || now - r.nanos > maxAgeNanos) {
            synchronized (this) {
                r = reading;
                if (r == null || now - r.nanos > maxAgeNanos) {
                    r = Reading.take(seen);
                    reading = r;
                }
            }
        }
        return r;
    }

    /** One reading of the table: this process's sockets, and those without a descriptor attributed to it. */
    private static final class Reading {
        final long nanos = System.nanoTime();
        final int[] byState = new int[16];
        long oldestCloseWaitMillis;
        long closeWaitUnread;

        static Reading take(Map<List<InetSocketAddress>, Long> seen) {
            Reading r = new Reading();
            Set<Long> mine = SocketOwners.ofThisProcess();
            List<TcpEntry> ownerless = new ArrayList<>();
            List<InetSocketAddress> listening = new ArrayList<>();
            TcpTable.forEach(EnumSet.complementOf(EnumSet.of(TcpState.CLOSE_WAIT)), e -> {
                if (!e.hasDescriptor()) {
                    ownerless.add(e);
                } else if (mine.contains(e.inode())) {
                    r.add(e.state());
                    seen.put(List.of(e.local(), e.remote()), r.nanos);
                    if (e.state() == TcpState.LISTEN) {
                        listening.add(e.local());
                    }
                }
            });
            TcpTable.forEachWithInfo(EnumSet.of(TcpState.CLOSE_WAIT), e -> {
                if (e.hasDescriptor() && mine.contains(e.inode())) {
                    r.add(TcpState.CLOSE_WAIT);
                    seen.put(List.of(e.local(), e.remote()), r.nanos);
                    r.closeWaitUnread += Math.max(0, e.receiveQueue());
                    e.info().ifPresent(i -> r.oldestCloseWaitMillis = Math.max(r.oldestCloseWaitMillis,
                            i.sinceLastAckReceived().toMillis()));
                }
            });
            for (TcpEntry e : ownerless) {
                InetSocketAddress local = e.local();
                if (listenedOn(listening, local) || seen.containsKey(List.of(local, e.remote()))) {
                    r.add(e.state());
                }
            }
            forget(seen, r.nanos);
            return r;
        }

        /** True if one of this process's listeners listens on the entry's local port, at its address or all. */
        private static boolean listenedOn(List<InetSocketAddress> listening, InetSocketAddress local) {
            for (InetSocketAddress l : listening) {
                if (l.getPort() == local.getPort() && (l.getAddress().isAnyLocalAddress() || l.getAddress().equals(local.getAddress()))) {
                    return true;
                }
            }
            return false;
        }

        private static void forget(Map<List<InetSocketAddress>, Long> seen, long now) {
            long limit = TimeUnit.SECONDS.toNanos(REMEMBER_SECONDS);
            for (Iterator<Long> it = seen.values().iterator(); it.hasNext(); ) {
                if (now - it.next() > limit) {
                    it.remove();
                }
            }
            if (seen.size() > REMEMBER_MAX) {
                seen.clear(); // a bound on memory: attribution restarts from what is open now
            }
        }

        void add(TcpState s) {
            byState[s == TcpState.NEW_SYN_RECV ? TcpState.SYN_RECV.kernelNumber() : s.kernelNumber()]++;
        }

        int count(TcpState s) {
            return byState[s.kernelNumber()];
        }
    }
}
