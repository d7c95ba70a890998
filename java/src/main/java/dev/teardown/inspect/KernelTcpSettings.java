package dev.teardown.inspect;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The kernel settings that decide what teardown costs, read from {@code /proc/sys/net/ipv4/}
 * ({@code tcp_fin_timeout}, {@code tcp_tw_reuse}, {@code tcp_tw_reuse_delay}, {@code ip_local_port_range},
 * {@code tcp_max_tw_buckets}, {@code tcp_max_orphans}, {@code tcp_timestamps}) and
 * {@code /proc/sys/net/core/somaxconn}. The files are opened by the calling thread, so the values are those
 * of its network namespace. {@link #advice()} says in numbers what they imply.
 */
public final class KernelTcpSettings {
    /** TIME_WAIT length on Linux (TCP_TIMEWAIT_LEN): fixed at 60 s, no sysctl changes it. */
    public static final Duration TIME_WAIT = Duration.ofSeconds(60);

    private static final Path IPV4 = Paths.get("/proc/sys/net/ipv4");
    private static final Path CORE = Paths.get("/proc/sys/net/core");

    private final long finTimeoutSeconds;
    private final int twReuse;
    private final OptionalLong twReuseDelayMillis;
    private final int portLow;
    private final int portHigh;
    private final long maxTwBuckets;
    private final OptionalLong maxOrphans;
    private final int timestamps;
    private final int somaxconn;

    private KernelTcpSettings(long finTimeoutSeconds, int twReuse, OptionalLong twReuseDelayMillis, int portLow,
            int portHigh, long maxTwBuckets, OptionalLong maxOrphans, int timestamps, int somaxconn) {
        this.finTimeoutSeconds = finTimeoutSeconds;
        this.twReuse = twReuse;
        this.twReuseDelayMillis = twReuseDelayMillis;
        this.portLow = portLow;
        this.portHigh = portHigh;
        this.maxTwBuckets = maxTwBuckets;
        this.maxOrphans = maxOrphans;
        this.timestamps = timestamps;
        this.somaxconn = somaxconn;
    }

    /**
     * Reads the settings of the calling thread's network namespace.
     *
     * @throws UncheckedIOException if a setting every Linux has cannot be read (no /proc/sys)
     */
    public static KernelTcpSettings read() {
        long[] range = longs(IPV4.resolve("ip_local_port_range"));
        if (range.length != 2) {
            throw new UncheckedIOException(new IOException("ip_local_port_range: expected two numbers"));
        }
        return new KernelTcpSettings(one(IPV4.resolve("tcp_fin_timeout")), (int) one(IPV4.resolve("tcp_tw_reuse")),
                optional(IPV4.resolve("tcp_tw_reuse_delay")), (int) range[0], (int) range[1],
                one(IPV4.resolve("tcp_max_tw_buckets")), optional(IPV4.resolve("tcp_max_orphans")),
                (int) one(IPV4.resolve("tcp_timestamps")), (int) one(CORE.resolve("somaxconn")));
    }

    private static long one(Path p) {
        long[] v = longs(p);
        if (v.length != 1) {
            throw new UncheckedIOException(new IOException(p + ": expected one number"));
        }
        return v[0];
    }

    private static OptionalLong optional(Path p) {
        try {
            long[] v = parse(p);
            return v.length == 1 ? OptionalLong.of(v[0]) : OptionalLong.empty();
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + p, e);
        }
    }

    private static long[] longs(Path p) {
        try {
            return parse(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + p, e);
        }
    }

    /**
     * Reads a sysctl file with a single read(2): integer sysctls answer only a read at offset 0 (a second read
     * returns end-of-file), so Files.readAllBytes, which starts with a 1-byte read for a 0-sized file, gets one
     * digit.
     */
    static String readSysctl(Path p) throws IOException {
        try (InputStream in = Files.newInputStream(p)) {
            byte[] buf = new byte[4096];
            int n = in.read(buf);
            return n <= 0 ? "" : new String(buf, 0, n, StandardCharsets.US_ASCII);
        }
    }

    private static long[] parse(Path p) throws IOException {
        String s = readSysctl(p).trim();
        String[] parts = s.split("\\s+");
        long[] v = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                v[i] = Long.parseLong(parts[i]);
            } catch (NumberFormatException e) {
                throw new IOException(p + ": not a number: " + s, e);
            }
        }
        return v;
    }

    /** {@code tcp_fin_timeout}: how long an orphaned FIN_WAIT2 lives (up to 60 s; see {@link #advice()}). */
    public Duration finTimeout() {
        return Duration.ofSeconds(finTimeoutSeconds);
    }

    /** {@code tcp_tw_reuse}: 0 off, 1 on, 2 on for loopback only (the default). */
    public int twReuse() {
        return twReuse;
    }

    /**
     * {@code tcp_tw_reuse_delay}: how old a TIME_WAIT must be before connect() may reuse its port; empty on
     * kernels without the setting (they use 1 s).
     */
    public Optional<Duration> twReuseDelay() {
        return twReuseDelayMillis.isPresent() ? Optional.of(Duration.ofMillis(twReuseDelayMillis.getAsLong()))
                : Optional.empty();
    }

    /** Lower end of {@code ip_local_port_range}. */
    public int localPortLow() {
        return portLow;
    }

    /** Upper end of {@code ip_local_port_range}. */
    public int localPortHigh() {
        return portHigh;
    }

    /** Ephemeral ports in {@code ip_local_port_range}. */
    public int localPorts() {
        return Math.max(0, portHigh - portLow + 1);
    }

    /** {@code tcp_max_tw_buckets}: the most TIME_WAIT sockets the namespace keeps. */
    public long maxTwBuckets() {
        return maxTwBuckets;
    }

    /**
     * {@code tcp_max_orphans}: the most orphaned sockets before new orphans are reset. A global setting, not
     * visible inside a network namespace other than the initial one: empty there.
     */
    public OptionalLong maxOrphans() {
        return maxOrphans;
    }

    /** {@code tcp_timestamps}: 0 off, 1 on, 2 on without random offsets. */
    public int timestamps() {
        return timestamps;
    }

    /** {@code net.core.somaxconn}: the cap on every listen backlog. */
    public int somaxconn() {
        return somaxconn;
    }

    /** How long an orphaned FIN_WAIT2 lives with this tcp_fin_timeout (Linux: 2 x (t - 60) s above 60 s). */
    public Duration orphanFinWait2Lifetime() {
        return finTimeoutSeconds <= 60 ? finTimeout() : Duration.ofSeconds(2 * (finTimeoutSeconds - 60));
    }

    /** Reuse delay in effect: tcp_tw_reuse_delay, or 1 s on kernels without it. */
    private long reuseDelayMillis() {
        return Math.max(1, twReuseDelayMillis.orElse(1000));
    }

    /**
     * What the settings imply, one statement per line, with the numbers worked out: the rate of client-first
     * connections one address can open to one server address and port, what tcp_tw_reuse changes and for
     * whom, when TIME_WAIT buckets or orphans run out, how long an orphaned FIN_WAIT2 lives, the backlog cap.
     */
    public List<String> advice() {
        List<String> out = new ArrayList<>();
        int ports = localPorts();
        long perSecond = ports / TIME_WAIT.getSeconds();
        out.add("ip_local_port_range " + portLow + "-" + portHigh + " gives " + ports + " ephemeral ports; a client that"
                + " closes first leaves its port in TIME_WAIT for 60 s, so one client address can open about " + ports
                + " / 60 s = " + perSecond + " new connections per second to one server address and port before"
                + " connect() fails with EADDRNOTAVAIL (without tcp_tw_reuse).");
        long delay = reuseDelayMillis();
        long reuseRate = ports * 1000L / delay;
        String reuse;
        if (twReuse == 0) {
            reuse = "tcp_tw_reuse=0: connect() never takes a port still in TIME_WAIT, so the " + perSecond
                    + "/s cap above holds.";
        } else {
            reuse = "tcp_tw_reuse=" + twReuse + (twReuse == 2 ? " (loopback destinations only)" : "")
                    + ": connect() may take a port whose TIME_WAIT is older than " + delay + " ms"
                    + (twReuseDelayMillis.isPresent() ? " (tcp_tw_reuse_delay)" : "") + " when timestamps are on,"
                    + " raising the cap to about " + ports + " / " + (delay / 1000.0) + " s = " + reuseRate
                    + " per second" + (twReuse == 2 ? " to 127.0.0.0/8 and ::1; other destinations keep " + perSecond + "/s." : ".");
        }
        out.add(reuse + " It helps only the connecting side: a server that closes first keeps its TIME_WAIT"
                + " entries whatever tcp_tw_reuse says (bind() with SO_REUSEADDR is the listener's remedy).");
        if (timestamps == 0 && twReuse != 0) {
            out.add("tcp_timestamps=0: tcp_tw_reuse has no effect, because reuse needs timestamps to tell old"
                    + " segments from new ones.");
        }
        out.add("tcp_max_tw_buckets=" + maxTwBuckets + ": at most that many TIME_WAIT sockets; closing first more than"
                + " about " + maxTwBuckets + " / 60 s = " + (maxTwBuckets / 60) + " connections per second (sustained)"
                + " overflows it: new TIME_WAIT entries are dropped (\"time wait bucket table overflow\") and a late"
                + " FIN from the peer is answered with RST.");
        Duration fw2 = orphanFinWait2Lifetime();
        out.add("tcp_fin_timeout=" + finTimeoutSeconds + " s: an orphaned FIN_WAIT2 (we closed, the peer never sends"
                + " FIN) is destroyed after about " + fw2.getSeconds() + " s"
                + (finTimeoutSeconds > 60 ? " (2 x (" + finTimeoutSeconds + " - 60))" : "")
                + "; a FIN_WAIT2 whose descriptor is still open has no timer. It does not change TIME_WAIT, which"
                + " stays 60 s.");
        if (maxOrphans.isPresent()) {
            out.add("tcp_max_orphans=" + maxOrphans.getAsLong() + ": beyond that many orphaned sockets (closed, still"
                    + " finishing in FIN_WAIT1, FIN_WAIT2, CLOSING or LAST_ACK) the kernel resets new orphans at once"
                    + " (\"too many orphaned sockets\").");
        } else {
            out.add("tcp_max_orphans is global and not visible from this network namespace.");
        }
        out.add("somaxconn=" + somaxconn + ": every listen backlog is capped at " + somaxconn
                + " connections waiting for accept(); a larger backlog argument is silently reduced.");
        return out;
    }

    @Override
    public String toString() {
        return "KernelTcpSettings[tcp_fin_timeout=" + finTimeoutSeconds + ", tcp_tw_reuse=" + twReuse
                + ", tcp_tw_reuse_delay=" + (twReuseDelayMillis.isPresent() ? twReuseDelayMillis.getAsLong() + "ms" : "absent")
                + ", ip_local_port_range=" + portLow + "-" + portHigh + ", tcp_max_tw_buckets=" + maxTwBuckets
                + ", tcp_max_orphans=" + (maxOrphans.isPresent() ? maxOrphans.getAsLong() : "not visible")
                + ", tcp_timestamps=" + timestamps + ", somaxconn=" + somaxconn + "]";
    }
}
