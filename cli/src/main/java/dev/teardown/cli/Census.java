package dev.teardown.cli;

import dev.teardown.cli.OwnerScan.Owner;
import dev.teardown.inspect.KernelTcpSettings;
import dev.teardown.inspect.TcpEntry;
import dev.teardown.TcpInfo;
import dev.teardown.TcpState;
import dev.teardown.inspect.TcpTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * One reading of a network namespace's TCP table with the owner of every socket, aggregated as it streams
 * by: counts by state and owner, CLOSE_WAIT by owner and peer, orphaned FIN_WAIT2, FIN_WAIT1/LAST_ACK/CLOSING
 * by peer, TIME_WAIT by destination, listeners' accept queues. Nothing per socket is kept (except, under
 * {@code --watch}, when each CLOSE_WAIT socket was first seen), and every map has a cap on its keys.
 *
 * <p>The owners are read first ({@link OwnerScan}), then the table in three kernel-filtered dumps that
 * partition it (listeners; the states that need tcp_info; the rest), so each socket is read once. A socket
 * that changes state between two dumps may be counted in both or neither; one made after the owner scan has
 * no owner.
 */
final class Census {
    /** Keys kept per map; beyond that, counted as "others". */
    static final int CAP = 10_000;
    static final int STATES = 13;

    /** The other end as grouped: a remote address and port, or (server side) a remote host and our port. */
    record Peer(String remote, int localPort) {
        String display() {
            return localPort == 0 ? remote : remote + " -> :" + localPort;
        }
    }

    /** CLOSE_WAIT sockets of one owner towards one peer. */
    static final class CloseWaitGroup {
        final Owner owner;
        final Peer peer;
        int count;
        long unread;
        /** Largest tcpi_last_ack_recv (ms): the peer's FIN is at least this old; -1 unknown. */
        long maxSinceAckMs = -1;
        /** Largest tcpi_last_data_recv (ms): the last data before the FIN; -1 unknown. */
        long maxSinceDataMs = -1;
        /** Longest time a socket of this group has been seen in CLOSE_WAIT by --watch (ms); -1 not watched. */
        long watchedMs = -1;
        /** Sockets of this group whose other end is an orphaned FIN_WAIT2 in the same namespace. */
        int orphanedPeers;
        final Set<Owner> alsoHeldBy = new LinkedHashSet<>();

        CloseWaitGroup(Owner owner, Peer peer) {
            this.owner = owner;
            this.peer = peer;
        }

        /** How long at least since the peer's FIN, as far as the kernel or the watch tells (ms); -1 unknown. */
        long ageMs() {
            return Math.max(maxSinceAckMs, watchedMs);
        }
    }

    /** Sockets in FIN_WAIT1, LAST_ACK or CLOSING towards one peer: our FIN is not acknowledged yet. */
    static final class Unacked {
        final TcpState state;
        final Peer peer;
        int count;
        int orphans;
        long unsent;
        int maxRetransmits;
        long maxSinceAckMs = -1;

        Unacked(TcpState state, Peer peer) {
            this.state = state;
            this.peer = peer;
        }
    }

    /** Sockets from local ephemeral ports towards one address and port. */
    static final class Destination {
        final String address;
        final boolean loopback;
        int timeWait;
        int other;

        Destination(String address, boolean loopback) {
            this.address = address;
            this.loopback = loopback;
        }

        int used() {
            return timeWait + other;
        }
    }

    record Listener(String local, int port, long queue, long backlog, Owner owner) {
        boolean full() {
            return backlog > 0 && queue >= backlog;
        }

        boolean nearFull() {
            return backlog > 0 && queue * 10 >= backlog * 8;
        }
    }

    final OwnerScan owners;
    final KernelTcpSettings settings;
    final String settingsError;
    final NetStat netstat;
    final String namespace;
    final boolean root;
    final long takenAtMillis = System.currentTimeMillis();
    final long takenAtNanos = System.nanoTime();
    long tableNanos;
    long totalNanos;

    final int[] states = new int[STATES];
    int ipv4;
    int ipv6;
    int total;
    final Map<Integer, int[]> byOwner = new HashMap<>();
    /** With a descriptor, but no holder found (another user's process, or made after the owner scan). */
    final int[] unowned = new int[STATES];
    @SuppressWarnings("unchecked")
    final Tally<String>[] peers = new Tally[STATES];

    final Map<List<Object>, CloseWaitGroup> closeWait = new LinkedHashMap<>();
    int closeWaitOverflow;
    int orphanFinWait2;
    long orphanFinWait2MaxLeftMs;
    final Tally<String> orphanPeers = new Tally<>(CAP);
    /** Orphaned FIN_WAIT2 endpoints, "local remote", to join them to the CLOSE_WAIT sockets they left behind. */
    private final java.util.Set<String> orphanEnds = new java.util.HashSet<>();
    /** Orphaned FIN_WAIT2 sockets whose other end is a CLOSE_WAIT socket here. */
    int orphansJoined;
    /** Endpoints kept for the join; beyond that the join undercounts (and {@link #orphanEndsCapped} says so). */
    static final int ORPHAN_ENDS_CAP = 200_000;
    boolean orphanEndsCapped;
    final Map<List<Object>, Unacked> unacked = new LinkedHashMap<>();
    final Map<String, Destination> destinations = new HashMap<>();
    int destinationOverflow;
    final Tally<Integer> serverTimeWait = new Tally<>(CAP);
    final List<Listener> listeners = new ArrayList<>();
    private final boolean[] listening = new boolean[65536];

    /** Under --watch: CLOSE_WAIT inode to the System.nanoTime() it was first seen; null otherwise. */
    final Map<Long, Long> firstSeen;

    private Census(OwnerScan owners, KernelTcpSettings settings, String settingsError, Map<Long, Long> firstSeen) {
        this.owners = owners;
        this.settings = settings;
        this.settingsError = settingsError;
        this.firstSeen = firstSeen;
        this.netstat = NetStat.read();
        this.namespace = namespace();
        this.root = isRoot();
        for (int i = 0; i < STATES; i++) {
            peers[i] = new Tally<>(CAP);
        }
    }

    /**
     * Reads the calling thread's namespace. With {@code watch}, remembers when each CLOSE_WAIT socket was first
     * seen, carried over from {@code previous} (null for the first sample).
     */
    static Census take(boolean watch, Census previous) {
        // The /proc pass runs beside the first dump: on a cold JVM that dump also pays for loading the native
        // binding, and the two overlap on two cores. The listeners it returns are few and kept until owners are known.
        return take(watch, previous, OwnerScan.scan());
    }

    /**
     * As {@link #take(boolean, Census)} with owners from a scan made elsewhere (one scan serves every namespace:
     * socket inodes are unique on the machine).
     */
    static Census take(boolean watch, Census previous, CompletableFuture<OwnerScan> scan) {
        long start = System.nanoTime();
        KernelTcpSettings settings = null;
        String error = null;
        try {
            settings = KernelTcpSettings.read();
        } catch (UncheckedIOException e) {
            error = e.getMessage();
        }
        List<TcpEntry> listening = new ArrayList<>();
        long t = System.nanoTime();
        TcpTable.forEach(EnumSet.of(TcpState.LISTEN), e -> {
            if (listening.size() < CAP) {
                listening.add(e);
            }
        });
        Census c = new Census(scan.join(), settings, error, watch ? new HashMap<>() : null);
        listening.forEach(e -> c.add(e, previous));
        EnumSet<TcpState> withInfo = EnumSet.of(TcpState.CLOSE_WAIT, TcpState.FIN_WAIT1, TcpState.LAST_ACK, TcpState.CLOSING);
        EnumSet<TcpState> rest = EnumSet.complementOf(withInfo);
        rest.remove(TcpState.LISTEN);
        TcpTable.forEach(rest, e -> c.add(e, previous));
        TcpTable.forEachWithInfo(withInfo, e -> c.add(e, previous));
        c.orphanEnds.clear(); // joined: not carried into the next sample
        c.tableNanos = System.nanoTime() - t;
        // the reading began with the owner scan if that began first (started early, beside the JVM's start)
        c.totalNanos = System.nanoTime() - Math.min(start, c.owners.startedAtNanos());
        return c;
    }

    private void add(TcpEntry e, Census previous) {
        TcpState state = e.state() == TcpState.NEW_SYN_RECV ? TcpState.SYN_RECV : e.state();
        int s = state.kernelNumber();
        states[s]++;
        total++;
        if (e.isIpv6()) {
            ipv6++;
        } else {
            ipv4++;
        }
        Owner o = e.inode() != 0 ? owners.ownerOf(e.inode()) : null;
        if (o != null) {
            byOwner.computeIfAbsent(o.index, k -> new int[STATES])[s]++;
        } else if (e.inode() != 0) {
            unowned[s]++;
        }
        if (state == TcpState.LISTEN) {
            listening[e.localPort()] = true;
            if (listeners.size() < CAP) {
                listeners.add(new Listener(TcpEntry.format(e.local()), e.localPort(), e.receiveQueue(), e.sendQueue(), o));
            }
            return;
        }
        InetAddress remote = e.remote().getAddress();
        String remoteHost = TcpEntry.formatHost(remote);
        peers[s].add(remoteHost);
        switch (state) {
            case CLOSE_WAIT -> closeWait(e, o, remoteHost, previous);
            case FIN_WAIT1, LAST_ACK, CLOSING -> unacked(e, state, remoteHost);
            case FIN_WAIT2 -> {
                if (e.inode() == 0) {
                    orphanFinWait2++;
                    orphanFinWait2MaxLeftMs = Math.max(orphanFinWait2MaxLeftMs, e.timerExpiry().toMillis());
                    orphanPeers.add(peer(e, remoteHost).display());
                    if (orphanEnds.size() < ORPHAN_ENDS_CAP) {
                        orphanEnds.add(ends(e.local(), e.remote()));
                    } else {
                        orphanEndsCapped = true;
                    }
                }
            }
            default -> { }
        }
        // every state but LISTEN holds its local port: an ephemeral one counts against the range towards its peer
        if (isClientSide(e)) {
            if (state == TcpState.TIME_WAIT) {
                destination(e, remoteHost).timeWait++;
            } else {
                destination(e, remoteHost).other++;
            }
        } else if (state == TcpState.TIME_WAIT) {
            serverTimeWait.add(e.localPort());
        }
    }

    /** One connection's endpoints as a key; the JDK turns v4-mapped IPv6 addresses into IPv4, so both ends agree. */
    private static String ends(java.net.InetSocketAddress local, java.net.InetSocketAddress remote) {
        return local.getAddress().getHostAddress() + " " + local.getPort() + " " + remote.getAddress().getHostAddress()
                + " " + remote.getPort();
    }

    /** Our end is an ephemeral port that no listener here owns: we connected out. */
    private boolean isClientSide(TcpEntry e) {
        int p = e.localPort();
        boolean ephemeral = settings == null || (p >= settings.localPortLow() && p <= settings.localPortHigh());
        return ephemeral && !listening[p];
    }

    private Peer peer(TcpEntry e, String remoteHost) {
        return listening[e.localPort()] ? new Peer(remoteHost, e.localPort())
                : new Peer(remoteHost.concat(":").concat(Integer.toString(e.remotePort())), 0);
    }

    private Destination destination(TcpEntry e, String remoteHost) {
        String key = remoteHost + ":" + e.remotePort();
        Destination d = destinations.get(key);
        if (d == null) {
            if (destinations.size() >= CAP) {
                destinationOverflow++;
                return new Destination(key, false); // counted nowhere: the overflow is reported
            }
            d = new Destination(key, e.remote().getAddress().isLoopbackAddress());
            destinations.put(key, d);
        }
        return d;
    }

    private void closeWait(TcpEntry e, Owner o, String remoteHost, Census previous) {
        Peer p = peer(e, remoteHost);
        List<Object> key = List.of(o == null ? -1 : o.index, p);
        CloseWaitGroup g = closeWait.get(key);
        if (g == null) {
            if (closeWait.size() >= CAP) {
                closeWaitOverflow++;
                return;
            }
            g = new CloseWaitGroup(o, p);
            closeWait.put(key, g);
        }
        g.count++;
        g.unread += e.receiveQueue();
        if (!orphanEnds.isEmpty() && orphanEnds.contains(ends(e.remote(), e.local()))) {
            g.orphanedPeers++;
            orphansJoined++;
        }
        if (e.info().isPresent()) {
            TcpInfo i = e.info().get();
            g.maxSinceAckMs = Math.max(g.maxSinceAckMs, i.sinceLastAckReceived().toMillis());
            g.maxSinceDataMs = Math.max(g.maxSinceDataMs, i.sinceLastDataReceived().toMillis());
        }
        for (Owner other : owners.otherHolders(e.inode())) {
            g.alsoHeldBy.add(other);
        }
        if (firstSeen != null && e.inode() != 0) {
            Long seen = previous == null || previous.firstSeen == null ? null : previous.firstSeen.get(e.inode());
            long at = seen == null ? takenAtNanos : seen;
            firstSeen.put(e.inode(), at);
            g.watchedMs = Math.max(g.watchedMs, (takenAtNanos - at) / 1_000_000);
        }
    }

    private void unacked(TcpEntry e, TcpState state, String remoteHost) {
        Peer p = peer(e, remoteHost);
        List<Object> key = List.of(state, p);
        Unacked u = unacked.get(key);
        if (u == null) {
            if (unacked.size() >= CAP) {
                return;
            }
            u = new Unacked(state, p);
            unacked.put(key, u);
        }
        u.count++;
        if (e.inode() == 0) {
            u.orphans++;
        }
        u.unsent += e.sendQueue();
        u.maxRetransmits = Math.max(u.maxRetransmits, e.timerRetransmits());
        if (e.info().isPresent()) {
            u.maxSinceAckMs = Math.max(u.maxSinceAckMs, e.info().get().sinceLastAckReceived().toMillis());
        }
    }

    int count(TcpState s) {
        return states[s.kernelNumber()];
    }

    /** Largest share of the ephemeral range used towards one destination, in percent (0 when none). */
    double maxPortUsePercent() {
        double max = 0;
        for (Destination d : destinations.values()) {
            max = Math.max(max, portUsePercent(d));
        }
        return max;
    }

    double portUsePercent(Destination d) {
        int ports = settings == null ? 0 : settings.localPorts();
        return ports == 0 ? 0 : 100.0 * d.used() / ports;
    }

    /** New connections per second the range sustains towards {@code d} with the current tcp_tw_reuse. */
    long sustainablePerSecond(Destination d) {
        if (settings == null) {
            return -1;
        }
        long ports = settings.localPorts();
        boolean reuse = settings.timestamps() != 0 && (settings.twReuse() == 1 || settings.twReuse() == 2 && d.loopback);
        if (!reuse) {
            return ports / KernelTcpSettings.TIME_WAIT.getSeconds();
        }
        long delay = Math.max(1, settings.twReuseDelay().map(x -> x.toMillis()).orElse(1000L));
        return ports * 1000 / delay;
    }

    /** Largest accept queue as a share of its backlog, in percent. */
    double maxAcceptQueuePercent() {
        double max = 0;
        for (Listener l : listeners) {
            if (l.backlog() > 0) {
                max = Math.max(max, 100.0 * l.queue() / l.backlog());
            }
        }
        return max;
    }

    /** The oldest CLOSE_WAIT known, in seconds (0 when none is known). */
    double maxCloseWaitAgeSeconds() {
        long max = 0;
        for (CloseWaitGroup g : closeWait.values()) {
            max = Math.max(max, g.ageMs());
        }
        return max / 1000.0;
    }

    int unownedTotal() {
        int n = 0;
        for (int u : unowned) {
            n += u;
        }
        return n;
    }

    private static String namespace() {
        try {
            return Files.readSymbolicLink(Paths.get("/proc/thread-self/ns/net")).toString();
        } catch (IOException | UnsupportedOperationException e) {
            return "?";
        }
    }

    static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[2].equals("0"); // effective uid
                }
            }
        } catch (IOException e) {
            // unknown: not root
        }
        return false;
    }
}
