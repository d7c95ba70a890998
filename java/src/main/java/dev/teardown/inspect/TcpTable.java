package dev.teardown.inspect;

import dev.teardown.TcpInfo;
import dev.teardown.TcpState;
import dev.teardown.TcpException;
import dev.teardown.posix.Os;
import dev.teardown.posix.SockDiag;
import dev.teardown.posix.TcpInfoLayout;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The kernel's TCP socket table, system-wide for one network namespace, IPv4 and IPv6: what {@code ss -tan}
 * shows. Read through {@code NETLINK_SOCK_DIAG} ({@code inet_diag_req_v2} dumps): the state filter is the
 * request's {@code idiag_states} bitmask and the optional port filter is inet_diag bytecode, so the kernel
 * skips the sockets you did not ask for.
 *
 * <p><b>Namespace.</b> Every call reads the network namespace of the calling thread: the netlink socket is
 * opened on that thread for the call. (A thread that entered a namespace with {@code unshare} or
 * {@code setns} sees that namespace; other threads keep theirs.)
 *
 * <p><b>Fallback.</b> Where netlink is refused (no inet_diag, a sandbox that forbids NETLINK_SOCK_DIAG),
 * the table is parsed from {@code /proc/thread-self/net/tcp} and {@code tcp6} instead, the calling
 * thread's view too; timer expiries are then in hundredths of a second and a listener's send queue is 0.
 * {@link #snapshotFromProc} reads that file directly.
 *
 * <p><b>States.</b> An orphaned FIN_WAIT2, which the kernel keeps as a time-wait socket with a FIN_WAIT2
 * substate, is reported as {@link TcpState#FIN_WAIT2} with a {@link TcpTimer#TIME_WAIT} timer and inode 0,
 * as {@code ss} lists it. A listener's half-open request sockets ({@link TcpState#NEW_SYN_RECV} in the
 * kernel) are reported as {@link TcpState#SYN_RECV}, as both kernel interfaces do; asking for either state
 * returns them.
 *
 * <p>Failures that leave no table to read surface as {@link UncheckedIOException} wrapping a
 * {@link TcpException} that names the call and errno.
 *
 * <p>A census of the namespace, and the CLOSE_WAIT sockets with what they never read:
 * <!-- example: dev.teardown.snippets.CensusSnippets#census, a copy JavadocExamplesTest keeps equal to that compiled, tested region -->
 * <pre>
 * Map&lt;TcpState, Integer&gt; byState = TcpTable.counts(); // every TCP socket of this network namespace
 * int closeWait = byState.getOrDefault(TcpState.CLOSE_WAIT, 0);
 * for (TcpEntry e : TcpTable.snapshot(EnumSet.of(TcpState.CLOSE_WAIT))) {
 *     System.out.println(TcpEntry.format(e.local()) + " &lt;- " + TcpEntry.format(e.remote())
 *             + ": " + e.receiveQueue() + " bytes never read, inode " + e.inode());
 * }
 * </pre>
 */
public final class TcpTable {
    private TcpTable() {}

    private static final System.Logger LOG = System.getLogger(TcpTable.class.getName());
    private static volatile boolean fallbackLogged;

    /** Every state the table can report. */
    public static final Set<TcpState> ALL_STATES = Collections.unmodifiableSet(EnumSet.allOf(TcpState.class));

    /** Every socket in every state: {@code ss -tan}. */
    public static List<TcpEntry> snapshot() {
        return snapshot(ALL_STATES, 0);
    }

    /** Sockets in one of {@code states}, filtered by the kernel: {@code ss -tan state ...}. */
    public static List<TcpEntry> snapshot(Set<TcpState> states) {
        return snapshot(states, 0);
    }

    /**
     * Sockets in one of {@code states} whose local or remote port is {@code port} (0: any port), both
     * filtered by the kernel: {@code ss -tan state ... '( sport = :P or dport = :P )'}.
     *
     * @throws IllegalArgumentException if {@code states} is null or {@code port} is outside 0-65535
     */
    public static List<TcpEntry> snapshot(Set<TcpState> states, int port) {
        int mask = mask(states);
        checkPort(port);
        List<TcpEntry> out = new ArrayList<>();
        if (mask == 0) {
            return out;
        }
        try (SockDiag diag = SockDiag.open()) {
            SockDiag.Sink sink = r -> {
                if (TcpState.isKnown(r.state)) {
                    out.add(entry(r));
                }
            };
            diag.dump(Os.AF_INET, mask, port, sink);
            diag.dump(Os.AF_INET6, mask, port, sink);
            return out;
        } catch (SockDiag.Failure f) {
            return fallback(f, () -> ProcNetTcp.read(states, port));
        }
    }

    /**
     * Streams the sockets in one of {@code states} to {@code each} as the kernel's dump is read, one entry at a
     * time: nothing is collected, so memory does not grow with the table. Sockets that come and go during the
     * read are seen or not, never twice. Returns the number of entries passed.
     *
     * @throws IllegalArgumentException if {@code states} is null
     */
    public static int forEach(Set<TcpState> states, Consumer<? super TcpEntry> each) {
        return stream(states, 0, each);
    }

    /**
     * As {@link #forEach}, and each entry carries the socket's {@code tcp_info} from the same dump
     * ({@link TcpEntry#info()}: the kernel's {@code INET_DIAG_INFO}, what {@code ss -i} shows), for every socket
     * whatever process holds it. Time-wait and request sockets have none; nor has the {@code /proc} fallback.
     */
    public static int forEachWithInfo(Set<TcpState> states, Consumer<? super TcpEntry> each) {
        return stream(states, SockDiag.EXT_TCP_INFO, each);
    }

    private static int stream(Set<TcpState> states, int extensions, Consumer<? super TcpEntry> each) {
        int mask = mask(states);
        if (each == null) {
            throw new IllegalArgumentException("each must not be null");
        }
        if (mask == 0) {
            return 0;
        }
        try (SockDiag diag = SockDiag.open()) {
            SockDiag.Sink sink = r -> {
                if (TcpState.isKnown(r.state)) {
                    each.accept(entry(r));
                }
            };
            return diag.dump(Os.AF_INET, mask, 0, extensions, sink) + diag.dump(Os.AF_INET6, mask, 0, extensions, sink);
        } catch (SockDiag.Failure f) {
            List<TcpEntry> read = fallback(f, () -> ProcNetTcp.read(states, 0));
            read.forEach(each);
            return read.size();
        }
    }

    /** How many sockets are in each state (every state is a key, zero included). */
    public static Map<TcpState, Integer> counts() {
        return counts(ALL_STATES, 0);
    }

    /**
     * How many sockets in each of {@code states} have local or remote port {@code port} (0: any). Counted
     * as the dump is read, without building entries. Every requested state is a key; request sockets count
     * under {@link TcpState#SYN_RECV}.
     */
    public static Map<TcpState, Integer> counts(Set<TcpState> states, int port) {
        int mask = mask(states);
        checkPort(port);
        int[] byNumber = new int[16];
        if (mask != 0) {
            try (SockDiag diag = SockDiag.open()) {
                SockDiag.Sink sink = r -> {
                    if (r.state < byNumber.length) {
                        byNumber[r.state]++;
                    }
                };
                diag.dump(Os.AF_INET, mask, port, sink);
                diag.dump(Os.AF_INET6, mask, port, sink);
            } catch (SockDiag.Failure f) {
                for (TcpEntry e : fallback(f, () -> ProcNetTcp.read(states, port))) {
                    byNumber[e.state().kernelNumber()]++;
                }
            }
        }
        Map<TcpState, Integer> out = new EnumMap<>(TcpState.class);
        for (TcpState s : states) {
            out.put(s, byNumber[s.kernelNumber()]);
        }
        return out;
    }

    /**
     * The one connection from {@code local} to {@code remote}, looked up by the kernel (no dump), in the
     * calling thread's namespace. An IPv4 pair is also looked up as the v4-mapped IPv6 socket the JDK
     * creates. Empty if the kernel has no such connection. Listeners are not found this way (the kernel
     * answers a lookup that matches no connection with the listener on the local port; that answer is
     * discarded).
     */
    public static Optional<TcpEntry> lookup(InetSocketAddress local, InetSocketAddress remote) {
        if (local == null || remote == null || local.isUnresolved() || remote.isUnresolved()) {
            throw new IllegalArgumentException("lookup needs two resolved addresses, got " + local + " and " + remote);
        }
        byte[] l = local.getAddress().getAddress();
        byte[] r = remote.getAddress().getAddress();
        if (l.length != r.length) {
            throw new IllegalArgumentException("mixed address families: " + local + " and " + remote);
        }
        try (SockDiag diag = SockDiag.open()) {
            SockDiag.Record rec = new SockDiag.Record();
            if (l.length == 4) {
                if (diag.lookup(Os.AF_INET, l, local.getPort(), r, remote.getPort(), rec)
                        && isConnection(rec, l, local.getPort(), r, remote.getPort())) {
                    return known(rec);
                }
                byte[] ml = mapped(l);
                byte[] mr = mapped(r);
                if (diag.lookup(Os.AF_INET6, ml, local.getPort(), mr, remote.getPort(), rec)
                        && isConnection(rec, ml, local.getPort(), mr, remote.getPort())) {
                    return known(rec);
                }
                return Optional.empty();
            }
            return diag.lookup(Os.AF_INET6, l, local.getPort(), r, remote.getPort(), rec)
                    && isConnection(rec, l, local.getPort(), r, remote.getPort()) ? known(rec) : Optional.empty();
        } catch (SockDiag.Failure f) {
            return fallback(f, () -> {
                for (TcpEntry e : ProcNetTcp.read(ALL_STATES, local.getPort())) {
                    if (e.local().equals(local) && e.remote().equals(remote)) {
                        return Optional.of(e);
                    }
                }
                return Optional.<TcpEntry>empty();
            });
        }
    }

    /**
     * The table parsed from {@code /proc/thread-self/net/tcp} and {@code tcp6} (the calling thread's
     * namespace), filtered in Java: the fallback reader, public so that it can be compared with the
     * sock_diag result.
     */
    public static List<TcpEntry> snapshotFromProc(Set<TcpState> states, int port) {
        mask(states);
        checkPort(port);
        try {
            return ProcNetTcp.read(states, port);
        } catch (java.io.IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private interface ProcRead<T> {
        T read() throws java.io.IOException;
    }

    private static <T> T fallback(SockDiag.Failure f, ProcRead<T> proc) {
        TcpException cause = TcpException.of(f.call, f.errno);
        if (!f.refused()) {
            throw new UncheckedIOException(cause);
        }
        if (!fallbackLogged) {
            fallbackLogged = true;
            LOG.log(System.Logger.Level.INFO, "sock_diag refused (" + f.getMessage()
                    + "); reading /proc/thread-self/net/tcp{,6} instead");
        }
        try {
            return proc.read();
        } catch (java.io.IOException e) {
            e.addSuppressed(cause);
            throw new UncheckedIOException(e);
        }
    }

    /**
     * True if the kernel's answer is the connection asked for. For a 4-tuple without a connection, the kernel's
     * socket lookup falls back to the listener on the local port (wildcard remote), and sock_diag returns it.
     */
    private static boolean isConnection(SockDiag.Record rec, byte[] local, int localPort, byte[] remote, int remotePort) {
        return rec.state != TcpState.LISTEN.kernelNumber() && rec.localPort == localPort && rec.remotePort == remotePort
                && java.util.Arrays.equals(rec.localAddress, 0, local.length, local, 0, local.length)
                && java.util.Arrays.equals(rec.remoteAddress, 0, remote.length, remote, 0, remote.length);
    }

    private static Optional<TcpEntry> known(SockDiag.Record r) {
        return TcpState.isKnown(r.state) ? Optional.of(entry(r)) : Optional.empty();
    }

    static int mask(Set<TcpState> states) {
        if (states == null) {
            throw new IllegalArgumentException("states must not be null (use TcpTable.ALL_STATES)");
        }
        int mask = 0;
        for (TcpState s : states) {
            mask |= s.mask();
        }
        return mask;
    }

    private static void checkPort(int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0-65535 (0: any), got " + port);
        }
    }

    private static byte[] mapped(byte[] v4) {
        byte[] m = new byte[16];
        m[10] = (byte) 0xff;
        m[11] = (byte) 0xff;
        System.arraycopy(v4, 0, m, 12, 4);
        return m;
    }

    private static TcpEntry entry(SockDiag.Record r) {
        boolean v6 = r.family == Os.AF_INET6;
        int n = v6 ? 16 : 4;
        byte[] addresses = new byte[2 * n];
        System.arraycopy(r.localAddress, 0, addresses, 0, n);
        System.arraycopy(r.remoteAddress, 0, addresses, n, n);
        TcpInfo info = r.infoLength >= TcpInfoLayout.BASE_SIZE ? TcpInfo.fromBytes(r.info, r.infoLength) : null;
        return new TcpEntry(v6, addresses, r.localPort, r.remotePort, TcpState.of(r.state), TcpTimer.of(r.timer),
                r.expiresMillis, r.retrans, r.receiveQueue, r.sendQueue, r.uid, r.inode, info);
    }
}
