package dev.teardown.inspect;

import dev.teardown.TcpState;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.teardown.TcpListener;
import dev.teardown.testing.Kernel;
import dev.teardown.testing.Requirements;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** TcpTable (sock_diag) against ss, against its own /proc fallback, and per namespace. */
class TcpTableTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"127.0.0.1", "::1"})
    void snapshotMatchesSsInEveryState(String loopback) throws Exception {
        try (StateZoo zoo = StateZoo.build(InetAddress.getByName(loopback))) {
            Set<SsView.Key> ours = null;
            Set<SsView.Key> theirs = null;
            for (int attempt = 0; attempt < 3; attempt++) { // a state may move between the two reads
                ours = SsView.ofEntries(TcpTable.snapshot(TcpTable.ALL_STATES, zoo.port));
                theirs = SsView.ofSs(Kernel.ss(), zoo.port);
                if (ours.equals(theirs)) {
                    break;
                }
            }
            assertEquals(theirs, ours, "TcpTable.snapshot() vs ss -tanH for port " + zoo.port);
            Set<String> states = ours.stream().map(SsView.Key::state).collect(Collectors.toSet());
            assertEquals(Set.of("LISTEN", "ESTAB", "CLOSE-WAIT", "FIN-WAIT-2", "TIME-WAIT"), states);
            assertEquals(1 + 2 + 2 + 2 + 1, ours.size(), ours.toString());
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"127.0.0.1", "::1"})
    void orphanedFinWait2IsReportedAsFinWait2WithoutInode(String loopback) throws Exception {
        try (StateZoo zoo = StateZoo.build(InetAddress.getByName(loopback))) {
            List<TcpEntry> all = TcpTable.snapshot(TcpTable.ALL_STATES, zoo.port);
            TcpEntry orphan = find(all, zoo.orphanClientLocal, zoo.listener.localAddress());
            assertEquals(TcpState.FIN_WAIT2, orphan.state(), orphan.toString());
            assertEquals(0, orphan.inode(), orphan.toString());
            assertEquals(TcpTimer.TIME_WAIT, orphan.timer(), orphan.toString());
            TcpEntry held = find(all, zoo.halfClient.localAddress(), zoo.listener.localAddress());
            assertEquals(TcpState.FIN_WAIT2, held.state(), held.toString());
            assertTrue(held.inode() != 0, held.toString());
            assertEquals(SocketOwners.inodeOf(zoo.halfClient.fd()).getAsLong(), held.inode());
            assertEquals(TcpTimer.OFF, held.timer(), "a held FIN_WAIT2 has no timer: " + held);
            TcpEntry cw = find(all, new InetSocketAddress(zoo.listener.localAddress().getAddress(), zoo.port),
                    zoo.orphanClientLocal);
            assertEquals(TcpState.CLOSE_WAIT, cw.state());
            assertEquals(loopback.contains(":"), cw.isIpv6());
        }
    }

    @Test
    void timeWaitExpiryIsWithinSixtySecondsAndFalls() throws Exception {
        try (StateZoo zoo = StateZoo.build(InetAddress.getLoopbackAddress())) {
            Set<TcpState> tw = EnumSet.of(TcpState.TIME_WAIT);
            long t0 = System.nanoTime();
            TcpEntry first = find(TcpTable.snapshot(tw, zoo.port), zoo.timeWaitClientLocal, zoo.listener.localAddress());
            assertEquals(TcpTimer.TIME_WAIT, first.timer());
            long ms1 = first.timerExpiry().toMillis();
            assertTrue(ms1 >= 0 && ms1 <= 60_000, "expiry " + ms1 + " ms");
            Kernel.SsRow row = Kernel.ss().stream().filter(r -> r.localPort() == zoo.timeWaitClientLocal.getPort()
                    && r.peerPort() == zoo.port).findFirst().orElseThrow();
            long ssMs = SsView.timerMillis(row.rest());
            assertTrue(Math.abs(ssMs - ms1) < 2_000, "ss says " + row.rest() + ", we say " + ms1 + " ms");
            Kernel.sleep(1_100);
            TcpEntry second = find(TcpTable.snapshot(tw, zoo.port), zoo.timeWaitClientLocal, zoo.listener.localAddress());
            long elapsed = (System.nanoTime() - t0) / 1_000_000; // covers both kernel reads
            long ms2 = second.timerExpiry().toMillis();
            assertTrue(ms2 < ms1, "expiry must fall: " + ms1 + " then " + ms2);
            assertTrue(ms1 - ms2 >= 1_000 && ms1 - ms2 <= elapsed + 100,
                    "fell by " + (ms1 - ms2) + " ms over " + elapsed + " ms");
        }
    }

    @Test
    void stateAndPortFiltersAreAppliedAndAgreeWithAFullDump() throws Exception {
        try (StateZoo zoo = StateZoo.build(InetAddress.getLoopbackAddress())) {
            List<TcpEntry> everything = TcpTable.snapshot();
            Set<SsView.Key> expected = SsView.ofEntries(everything.stream().filter(e -> e.hasPort(zoo.port))
                    .filter(e -> e.state() == TcpState.CLOSE_WAIT || e.state() == TcpState.TIME_WAIT)
                    .collect(Collectors.toList()));
            List<TcpEntry> filtered = TcpTable.snapshot(EnumSet.of(TcpState.CLOSE_WAIT, TcpState.TIME_WAIT), zoo.port);
            for (TcpEntry e : filtered) {
                assertTrue(e.hasPort(zoo.port), "port filter let through " + e);
                assertTrue(e.state() == TcpState.CLOSE_WAIT || e.state() == TcpState.TIME_WAIT, e.toString());
            }
            assertEquals(expected, SsView.ofEntries(filtered));
            assertEquals(3, filtered.size(), filtered.toString()); // two CLOSE_WAIT, one TIME_WAIT

            Map<TcpState, Integer> counts = TcpTable.counts(TcpTable.ALL_STATES, zoo.port);
            Map<TcpState, Integer> byHand = new EnumMap<>(TcpState.class);
            for (TcpState s : TcpState.values()) {
                byHand.put(s, 0);
            }
            for (TcpEntry e : TcpTable.snapshot(TcpTable.ALL_STATES, zoo.port)) {
                byHand.merge(e.state(), 1, Integer::sum);
            }
            assertEquals(byHand, counts);
            assertEquals(1, counts.get(TcpState.LISTEN));
            assertEquals(2, counts.get(TcpState.ESTABLISHED));
            assertEquals(2, counts.get(TcpState.CLOSE_WAIT));
            assertEquals(2, counts.get(TcpState.FIN_WAIT2));
            assertEquals(1, counts.get(TcpState.TIME_WAIT));
            assertTrue(TcpTable.snapshot(EnumSet.noneOf(TcpState.class)).isEmpty());
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"127.0.0.1", "::1"})
    void procFallbackAgreesWithSockDiag(String loopback) throws Exception {
        try (StateZoo zoo = StateZoo.build(InetAddress.getByName(loopback))) {
            List<TcpEntry> diag = null;
            List<TcpEntry> proc = null;
            for (int attempt = 0; attempt < 3; attempt++) {
                diag = TcpTable.snapshot(TcpTable.ALL_STATES, zoo.port);
                proc = TcpTable.snapshotFromProc(TcpTable.ALL_STATES, zoo.port);
                if (identities(diag).equals(identities(proc))) {
                    break;
                }
            }
            assertEquals(identities(diag), identities(proc), "sock_diag vs /proc/thread-self/net/tcp{,6}");
            for (TcpEntry d : diag) {
                TcpEntry p = find(proc, d.local(), d.remote());
                assertEquals(d.timer(), p.timer(), d + " vs " + p);
                assertEquals(d.isIpv6(), p.isIpv6(), d + " vs " + p);
                assertEquals(d.receiveQueue(), p.receiveQueue(), d + " vs " + p);
                if (d.state() != TcpState.LISTEN) {
                    assertEquals(d.sendQueue(), p.sendQueue(), d + " vs " + p);
                }
                // /proc counts in 1/100 s; both fall while we read
                assertTrue(Math.abs(d.timerExpiry().toMillis() - p.timerExpiry().toMillis()) < 1_000, d + " vs " + p);
            }
        }
    }

    @Test
    void lookupFindsOneConnectionIncludingJdkMappedSockets() throws Exception {
        try (StateZoo zoo = StateZoo.build(InetAddress.getLoopbackAddress())) {
            InetSocketAddress l = zoo.estClient.localAddress();
            Optional<TcpEntry> e = TcpTable.lookup(l, zoo.listener.localAddress());
            assertTrue(e.isPresent());
            assertEquals(TcpState.ESTABLISHED, e.get().state());
            assertEquals(SocketOwners.inodeOf(zoo.estClient.fd()).getAsLong(), e.get().inode());
            Optional<TcpEntry> tw = TcpTable.lookup(zoo.timeWaitClientLocal, zoo.listener.localAddress());
            assertEquals(TcpState.TIME_WAIT, tw.orElseThrow().state());
            assertFalse(TcpTable.lookup(new InetSocketAddress(l.getAddress(), 1), zoo.listener.localAddress()).isPresent());
        }
        // the JDK's sockets are AF_INET6 with v4-mapped addresses
        try (ServerSocketChannel server = ServerSocketChannel.open()
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                SocketChannel client = SocketChannel.open(server.getLocalAddress());
                SocketChannel accepted = server.accept()) {
            InetSocketAddress local = (InetSocketAddress) client.getLocalAddress();
            TcpEntry e = TcpTable.lookup(local, (InetSocketAddress) server.getLocalAddress()).orElseThrow();
            assertTrue(e.isIpv6(), "JDK socket is AF_INET6: " + e);
            assertEquals(local, e.local());
            assertEquals(TcpState.ESTABLISHED, e.state());
        }
    }

    @Test
    void readsTheCallingThreadsNamespace() throws Exception {
        Requirements.requireRoot("a private network namespace (unshare CLONE_NEWNET)");
        Requirements.requireCommand("nsenter");
        try (TcpListener host = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                NetNs ns = NetNs.create()) {
            int hostPort = host.localAddress().getPort();
            TcpListener inside = ns.call(() -> TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
            try {
                int nsPort = inside.localAddress().getPort();
                Set<TcpState> listen = EnumSet.of(TcpState.LISTEN);
                List<TcpEntry> fromNs = ns.call(() -> TcpTable.snapshot(listen));
                List<TcpEntry> fromNsProc = ns.call(() -> TcpTable.snapshotFromProc(listen, 0));
                List<TcpEntry> fromHost = TcpTable.snapshot(listen);
                assertEquals(Set.of(nsPort), ports(fromNs), "the namespace has only its own listener");
                assertEquals(Set.of(nsPort), ports(fromNsProc), "/proc/thread-self/net follows the thread");
                assertTrue(ports(fromHost).contains(hostPort));
                assertFalse(ports(fromHost).contains(nsPort) && !ports(fromHost).contains(hostPort));
                // ss in the namespace is the independent observer
                String ss = ns.nsenter("ss", "-tanH", "state", "listening");
                assertTrue(ss.contains(":" + nsPort), ss);
                assertFalse(ss.contains(":" + hostPort + " "), ss);
            } finally {
                ns.call(() -> {
                    inside.close();
                    return null;
                });
            }
        }
    }

    private static Set<Integer> ports(List<TcpEntry> entries) {
        Set<Integer> out = new HashSet<>();
        for (TcpEntry e : entries) {
            out.add(e.local().getPort());
        }
        return out;
    }

    /** (local, remote, state, inode, uid) of each entry. */
    private static Set<String> identities(List<TcpEntry> entries) {
        Set<String> out = new HashSet<>();
        for (TcpEntry e : entries) {
            out.add(e.state() + " " + TcpEntry.format(e.local()) + " " + TcpEntry.format(e.remote()) + " ino:" + e.inode()
                    + " uid:" + e.uid());
        }
        return out;
    }

    static TcpEntry find(List<TcpEntry> entries, InetSocketAddress local, InetSocketAddress remote) {
        for (TcpEntry e : entries) {
            if (e.local().equals(local) && e.remote().equals(remote)) {
                return e;
            }
        }
        throw new AssertionError("no entry " + local + " -> " + remote + " in " + entries);
    }

    static Duration seconds(long s) {
        return Duration.ofSeconds(s);
    }
}
