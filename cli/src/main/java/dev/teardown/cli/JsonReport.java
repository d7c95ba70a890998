package dev.teardown.cli;

import dev.teardown.cli.Census.CloseWaitGroup;
import dev.teardown.cli.Census.Destination;
import dev.teardown.cli.Census.Listener;
import dev.teardown.cli.Census.Unacked;
import dev.teardown.cli.OwnerScan.Owner;
import dev.teardown.TcpState;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The report as one JSON document (one line). Top-level keys: {@code states}, {@code processes} (every socket
 * owner with its counts by state), {@code close_wait} (per owning process: {@code pid}, {@code command},
 * {@code state}, {@code count}, {@code unread_bytes}, {@code peers}), {@code orphan_fin_wait_2},
 * {@code unacked_fin}, {@code destinations}, {@code listeners}, {@code listen_overflows}, {@code settings},
 * {@code advice}, {@code findings}, {@code thresholds}, {@code limits}. Commands are escaped as in the text view.
 */
final class JsonReport {
    private JsonReport() {}

    static String render(Census c, List<Finding> findings, List<Threshold> thresholds) {
        return render(c, findings, thresholds, null, null);
    }

    /**
     * As {@link #render(Census, List, List)}; {@code section} (when read with --netns) adds {@code namespace} (inode,
     * name, runtime, container ID, pod UID, pids); {@code others} (when read without it, as root) adds
     * {@code other_namespaces}.
     */
    static String render(Census c, List<Finding> findings, List<Threshold> thresholds, Host.Others others,
            Host.Section section) {
        Json j = new Json().begin();
        j.field("version", 1).field("taken_at_ms", c.takenAtMillis).field("netns", c.namespace).field("root", c.root)
                .field("elapsed_ms", c.totalNanos / 1_000_000).field("sockets", c.total).field("ipv4", c.ipv4).field("ipv6", c.ipv6);
        if (section != null) {
            NetnsName n = section.name();
            j.object("namespace").field("inode", section.ns().inode()).field("name", n.display())
                    .field("runtime", n.runtime()).field("container_id", n.containerId()).field("pod_uid", n.podUid())
                    .field("ip_netns", section.ns().ipName()).array("pids");
            for (long pid : section.ns().pids()) {
                j.value(pid);
            }
            j.endArray().end();
        }
        if (others != null) {
            j.object("other_namespaces").field("namespaces", others.namespaces()).field("with_sockets", others.withSockets())
                    .field("sockets", others.sockets()).field("close_wait", others.closeWait())
                    .field("with_close_wait", others.withCloseWait()).field("skipped", others.skipped())
                    .field("elapsed_ms", others.nanos() / 1_000_000).end();
        }
        j.object("states");
        for (TcpState s : Text.ORDER) {
            j.field(s.name(), c.count(s));
        }
        j.end();
        j.array("processes");
        for (Map.Entry<Integer, int[]> e : c.byOwner.entrySet()) {
            Owner o = c.owners.owners().get(e.getKey());
            j.begin().field("pid", o.pid).field("command", o.command()).object("states");
            for (TcpState s : Text.ORDER) {
                if (e.getValue()[s.kernelNumber()] > 0) {
                    j.field(s.name(), e.getValue()[s.kernelNumber()]);
                }
            }
            j.end().end();
        }
        j.endArray();
        closeWait(j, c);
        j.object("orphan_fin_wait_2").field("count", c.orphanFinWait2).field("joined_to_close_wait", c.orphansJoined).field("max_left_ms", c.orphanFinWait2MaxLeftMs)
                .field("tcp_fin_timeout_s", c.settings == null ? -1 : c.settings.finTimeout().getSeconds()).array("peers");
        for (Map.Entry<String, Long> e : c.orphanPeers.top(50)) {
            j.begin().field("peer", e.getKey()).field("count", e.getValue()).end();
        }
        j.endArray().end();
        j.array("unacked_fin");
        for (Unacked u : c.unacked.values()) {
            j.begin().field("state", u.state.name()).field("peer", u.peer.display()).field("count", u.count)
                    .field("orphans", u.orphans).field("unsent_bytes", u.unsent).field("max_retransmits", u.maxRetransmits)
                    .field("peer_silent_ms", u.maxSinceAckMs).end();
        }
        j.endArray();
        j.array("destinations");
        for (Destination d : c.destinations.values()) {
            j.begin().field("destination", d.address).field("time_wait", d.timeWait).field("other", d.other)
                    .field("ephemeral_ports", c.settings == null ? -1 : c.settings.localPorts())
                    .field("used_percent", c.portUsePercent(d)).field("closes_per_second", d.timeWait / 60.0)
                    .field("sustainable_per_second", c.sustainablePerSecond(d)).end();
        }
        j.endArray();
        j.array("server_time_wait");
        for (Map.Entry<Integer, Long> e : c.serverTimeWait.top(100)) {
            j.begin().field("local_port", e.getKey()).field("count", e.getValue()).end();
        }
        j.endArray();
        j.array("listeners");
        for (Listener l : c.listeners) {
            j.begin().field("local", l.local()).field("queue", l.queue()).field("backlog", l.backlog()).field("full", l.full())
                    .field("pid", l.owner() == null ? -1 : l.owner().pid).field("command", l.owner() == null ? null : l.owner().command())
                    .end();
        }
        j.endArray();
        j.field("listen_overflows", c.netstat.listenOverflows().orElse(-1)).field("listen_drops", c.netstat.listenDrops().orElse(-1));
        j.object("settings");
        if (c.settings != null) {
            j.field("tcp_fin_timeout", c.settings.finTimeout().getSeconds()).field("tcp_tw_reuse", c.settings.twReuse())
                    .field("tcp_tw_reuse_delay_ms", c.settings.twReuseDelay().map(d -> d.toMillis()).orElse(-1L))
                    .field("ip_local_port_range_low", c.settings.localPortLow()).field("ip_local_port_range_high", c.settings.localPortHigh())
                    .field("tcp_max_tw_buckets", c.settings.maxTwBuckets()).field("tcp_timestamps", c.settings.timestamps())
                    .field("somaxconn", c.settings.somaxconn());
        }
        j.end();
        j.array("advice");
        if (c.settings != null) {
            c.settings.advice().forEach(j::value);
        }
        j.endArray();
        j.array("findings");
        for (Finding f : findings) {
            j.begin().field("severity", f.severity()).field("kind", f.kind()).field("pid", f.pid()).field("command", f.command())
                    .field("message", f.message()).end();
        }
        j.endArray();
        j.array("thresholds");
        for (Threshold t : thresholds) {
            j.begin().field("condition", t.text()).field("value", t.value(c)).field("crossed", t.crossed(c)).end();
        }
        j.endArray();
        j.array("limits");
        for (String l : limits(c)) {
            j.value(l);
        }
        j.endArray();
        return j.end().toString();
    }

    private static void closeWait(Json j, Census c) {
        Map<Owner, List<CloseWaitGroup>> byOwner = new LinkedHashMap<>();
        List<CloseWaitGroup> unowned = new ArrayList<>();
        for (CloseWaitGroup g : c.closeWait.values()) {
            if (g.owner == null) {
                unowned.add(g);
            } else {
                byOwner.computeIfAbsent(g.owner, k -> new ArrayList<>()).add(g);
            }
        }
        j.array("close_wait");
        for (Map.Entry<Owner, List<CloseWaitGroup>> e : byOwner.entrySet()) {
            group(j, e.getKey(), e.getValue());
        }
        if (!unowned.isEmpty()) {
            group(j, null, unowned);
        }
        j.endArray();
    }

    private static void group(Json j, Owner o, List<CloseWaitGroup> groups) {
        int count = 0;
        long unread = 0;
        long age = -1;
        for (CloseWaitGroup g : groups) {
            count += g.count;
            unread += g.unread;
            age = Math.max(age, g.ageMs());
        }
        int orphaned = 0;
        for (CloseWaitGroup g : groups) {
            orphaned += g.orphanedPeers;
        }
        boolean jvm = o != null && Jvm.is(o.pid);
        j.begin().field("pid", o == null ? -1 : o.pid).field("command", o == null ? null : o.command())
                .field("executable_name", o == null ? null : o.executableName()).field("state", "CLOSE_WAIT")
                .field("count", count).field("unread_bytes", unread).field("min_fin_age_ms", age)
                .field("orphaned_peers", orphaned).field("jvm", jvm)
                .field("next_step", jvm ? "teardown doctor --pid " + o.pid + " --attach" : null).array("peers");
        for (CloseWaitGroup g : groups) {
            j.begin().field("peer", g.peer.remote()).field("local_port", g.peer.localPort()).field("count", g.count)
                    .field("unread_bytes", g.unread).field("since_last_ack_ms", g.maxSinceAckMs)
                    .field("since_last_data_ms", g.maxSinceDataMs).field("watched_ms", g.watchedMs).array("also_held_by");
            for (Owner x : g.alsoHeldBy) {
                j.begin().field("pid", x.pid).field("command", x.command()).end();
            }
            j.endArray().end();
        }
        j.endArray().end();
    }

    /** Several namespaces: one report per namespace (with {@code namespace}), and those that could not be read. */
    static String render(Host.Reading r, List<Threshold> thresholds) {
        Json j = new Json().begin();
        j.field("version", 1).field("taken_at_ms", r.takenAtMillis()).field("elapsed_ms", r.nanos() / 1_000_000)
                .array("namespaces");
        for (Host.Section s : r.sections()) {
            j.raw(render(s.census(), Findings.of(s.census()), thresholds, null, s));
        }
        j.endArray().array("skipped");
        for (String s : r.skipped()) {
            j.value(s);
        }
        j.endArray().field("vanished", r.vanished());
        return j.end().toString();
    }

    static List<String> limits(Census c) {
        List<String> out = new ArrayList<>();
        if (c.owners.unreadable() > 0) {
            out.add(c.owners.unreadable() + " processes' descriptors could not be read" + (c.root ? "" : " (not root)")
                    + ": their sockets have no owner");
        }
        if (c.settingsError != null) {
            out.add("kernel settings: " + c.settingsError);
        }
        if (c.netstat.listenOverflows().isEmpty()) {
            out.add("/proc/thread-self/net/netstat could not be read: no overflow counters");
        }
        if (c.orphanEndsCapped) {
            out.add("more than " + Census.ORPHAN_ENDS_CAP + " orphaned FIN_WAIT2: only the first are joined to their"
                    + " CLOSE_WAIT peers");
        }
        if (c.closeWait.size() >= Census.CAP || c.destinations.size() >= Census.CAP) {
            out.add("more than " + Census.CAP + " groups: the rest are counted in the totals only");
        }
        return out;
    }
}
