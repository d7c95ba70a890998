package dev.teardown.cli;

import dev.teardown.cli.Census.CloseWaitGroup;
import dev.teardown.cli.Census.Destination;
import dev.teardown.cli.Census.Listener;
import dev.teardown.cli.Census.Unacked;
import dev.teardown.cli.OwnerScan.Owner;
import dev.teardown.TcpState;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The report for people: sections in the order an on-call engineer reads them, then one line per finding.
 * Every command line is escaped ({@link Untrusted}) and shortened. With a previous census (under --watch),
 * each state shows its change per second.
 */
final class Text {
    private Text() {}

    /** States in display order. */
    static final TcpState[] ORDER = {TcpState.ESTABLISHED, TcpState.SYN_SENT, TcpState.SYN_RECV, TcpState.FIN_WAIT1,
        TcpState.FIN_WAIT2, TcpState.TIME_WAIT, TcpState.CLOSE, TcpState.CLOSE_WAIT, TcpState.LAST_ACK, TcpState.LISTEN,
        TcpState.CLOSING};

    static String render(Census c, Census previous, List<Finding> findings, List<Threshold> thresholds) {
        return render(c, previous, findings, thresholds, null, null);
    }

    /**
     * As {@link #render(Census, Census, List, List)}; {@code section} (read with --netns) names the namespace;
     * {@code others} (read without it, as root) adds one line on the other namespaces.
     */
    static String render(Census c, Census previous, List<Finding> findings, List<Threshold> thresholds,
            Host.Others others, Host.Section section) {
        StringBuilder b = new StringBuilder();
        String when = when(c.takenAtMillis);
        b.append("teardown doctor  ").append(when).append("  netns ").append(c.namespace).append("  ").append(c.total)
                .append(" TCP sockets (").append(c.ipv4).append(" IPv4, ").append(c.ipv6).append(" IPv6), read with owners in ")
                .append(c.totalNanos / 1_000_000).append(" ms\n");
        if (section != null) {
            b.append("NAMESPACE ").append(Untrusted.escape(section.name().display())).append("  (").append(section.ns().link())
                    .append(section.ns().pids().isEmpty() ? "; no process in it" : "; pids " + pids(section.ns().pids()))
                    .append(")\n");
        }
        if (others != null) {
            b.append(othersLine(others)).append('\n');
        } else if (section == null && !c.root) {
            b.append("NOTE: only this network namespace was read (each container has its own); as root the report counts"
                    + " the others, and --netns all reads them\n");
        }
        if (!c.root || c.owners.unreadable() > 0) {
            b.append("NOTE: ").append(c.owners.unreadable()).append(" processes' descriptors could not be read")
                    .append(c.root ? "" : " (not root)").append("; sockets of other users show no owner\n");
        }
        states(b, c, previous);
        closeWait(b, c);
        closing(b, c);
        timeWait(b, c);
        listeners(b, c, previous);
        settings(b, c);
        b.append("\nFINDINGS\n");
        if (findings.isEmpty()) {
            b.append("  none: no CLOSE_WAIT, no full accept queue, no destination short of ports\n");
        }
        for (Finding f : findings) {
            b.append("  ").append(f.severity().toUpperCase(Locale.ROOT)).append(": ").append(f.message()).append('\n');
        }
        if (!thresholds.isEmpty()) {
            b.append("\nTHRESHOLDS\n");
            for (Threshold t : thresholds) {
                b.append("  ").append(t.crossed(c) ? "CROSSED " : "ok      ").append(t.text()).append("  (now ")
                        .append(number(t.value(c))).append(")\n");
            }
        }
        return b.toString();
    }

    private static String when(long millis) {
        return DateTimeFormatter.ISO_LOCAL_DATE_TIME.format(Instant.ofEpochMilli(millis).atOffset(ZoneOffset.UTC).withNano(0)) + "Z";
    }

    private static String pids(List<Long> pids) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < Math.min(5, pids.size()); i++) {
            b.append(i == 0 ? "" : " ").append(pids.get(i));
        }
        return b.append(pids.size() > 5 ? " ..." : "").toString();
    }

    /** The one line on the namespaces this report does not show. */
    static String othersLine(Host.Others o) {
        if (o.withSockets() == 0) {
            return "OTHER NAMESPACES: " + o.namespaces() + " more network namespace" + (o.namespaces() == 1 ? "" : "s")
                    + (o.namespaces() == 0 ? "" : ", none holding TCP sockets") + (o.skipped() > 0 ? " (" + o.skipped()
                    + " not readable)" : "");
        }
        return "OTHER NAMESPACES: " + o.withSockets() + " more network namespace" + (o.withSockets() == 1 ? "" : "s")
                + (o.withSockets() == 1 ? " holds " : " hold ") + o.sockets() + " TCP sockets, " + o.closeWait() + " of them in CLOSE_WAIT"
                + (o.closeWait() > 0 ? " (in " + o.withCloseWait() + " namespace" + (o.withCloseWait() == 1 ? "" : "s") + ")" : "")
                + (o.skipped() > 0 ? "; " + o.skipped() + " not readable" : "")
                + ": teardown doctor --netns all shows them";
    }

    /** Several namespaces: a table of all, worst first, then the report of each that holds sockets. */
    static String render(Host.Reading r, Host.Reading previous, List<Threshold> thresholds) {
        StringBuilder b = new StringBuilder();
        int sockets = 0;
        for (Host.Section s : r.sections()) {
            sockets += s.census().total;
        }
        b.append("teardown doctor  ").append(when(r.takenAtMillis())).append("  ").append(r.sections().size())
                .append(" network namespace").append(r.sections().size() == 1 ? "" : "s").append(", ").append(sockets)
                .append(" TCP sockets, read with owners in ").append(r.nanos() / 1_000_000).append(" ms\n");
        if (!r.skipped().isEmpty()) {
            b.append("SKIPPED ").append(r.skipped().size()).append(" namespace").append(r.skipped().size() == 1 ? "" : "s")
                    .append(" (").append(r.vanished()).append(" gone while read): ")
                    .append(Untrusted.shorten(String.join("; ", r.skipped()), 300)).append('\n');
        }
        List<Host.Section> order = new ArrayList<>(r.sections());
        order.sort(Comparator.comparingInt((Host.Section s) -> s.census().count(TcpState.CLOSE_WAIT))
                .thenComparingInt(s -> s.census().total).reversed());
        b.append("\nNAMESPACES (worst first)\n");
        b.append(String.format("  %-64s %8s %8s %10s %9s  %s%n", "NAMESPACE", "SOCKETS", "ESTAB", "CLOSE_WAIT", "TIME_WAIT",
                "FINDINGS"));
        Map<Host.Section, List<Finding>> findings = new java.util.HashMap<>();
        for (Host.Section s : order) {
            List<Finding> f = Findings.of(s.census());
            findings.put(s, f);
            b.append(String.format("  %-64s %8d %8d %10d %9d  %s%n", Untrusted.shorten(Untrusted.escape(s.name().display()), 64),
                    s.census().total, s.census().count(TcpState.ESTABLISHED), s.census().count(TcpState.CLOSE_WAIT),
                    s.census().count(TcpState.TIME_WAIT), severities(f)));
        }
        Map<Long, Census> before = new java.util.HashMap<>();
        if (previous != null) {
            for (Host.Section s : previous.sections()) {
                before.put(s.ns().inode(), s.census());
            }
        }
        for (Host.Section s : order) {
            if (s.census().total == 0) {
                continue;
            }
            b.append("\n==== ").append(Untrusted.escape(s.name().display())).append(" ====\n");
            b.append(render(s.census(), before.get(s.ns().inode()), findings.get(s), thresholds, null, s));
        }
        return b.toString();
    }

    private static String severities(List<Finding> f) {
        int critical = 0;
        int warning = 0;
        for (Finding x : f) {
            critical += x.severity().equals("critical") ? 1 : 0;
            warning += x.severity().equals("warning") ? 1 : 0;
        }
        if (critical + warning == 0) {
            return f.isEmpty() ? "-" : f.size() + " info";
        }
        return (critical > 0 ? critical + " critical" : "") + (critical > 0 && warning > 0 ? ", " : "")
                + (warning > 0 ? warning + " warning" : "");
    }

    private static void states(StringBuilder b, Census c, Census previous) {
        b.append("\nSTATES").append(previous == null ? "" : "  (change per second since the last sample)").append('\n');
        b.append(String.format("  %-12s %7s%s  %-44s %s%n", "STATE", "COUNT", previous == null ? "" : "   /s   ",
                "TOP OWNERS (pid command: count)", "TOP PEERS"));
        double secs = previous == null ? 0 : Math.max(0.001, (c.takenAtNanos - previous.takenAtNanos) / 1e9);
        for (TcpState s : ORDER) {
            int n = c.count(s);
            if (n == 0 && (previous == null || previous.count(s) == 0)) {
                continue;
            }
            String rate = previous == null ? "" : String.format(" %+7.1f", (n - previous.count(s)) / secs);
            b.append(String.format("  %-12s %7d%s  %-44s %s%n", s.name(), n, rate, topOwners(c, s), topPeers(c, s)));
        }
    }

    private static String topOwners(Census c, TcpState s) {
        int k = s.kernelNumber();
        List<Map.Entry<Integer, int[]>> list = new ArrayList<>(c.byOwner.entrySet());
        list.removeIf(e -> e.getValue()[k] == 0);
        list.sort(Comparator.comparingInt((Map.Entry<Integer, int[]> e) -> e.getValue()[k]).reversed());
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < Math.min(2, list.size()); i++) {
            Owner o = c.owners.owners().get(list.get(i).getKey());
            out.append(i == 0 ? "" : "; ").append(o.pid).append(' ').append(Untrusted.brief(o.command(), 16)).append(": ")
                    .append(list.get(i).getValue()[k]);
        }
        if (list.size() > 2) {
            out.append("; +").append(list.size() - 2);
        }
        int none = c.states[k] - owned(c, k);
        if (none > 0) {
            out.append(out.length() == 0 ? "" : "; ").append(c.unowned[k] == 0 ? "no descriptor" : "holder unknown")
                    .append(": ").append(none);
        }
        return out.toString();
    }

    private static int owned(Census c, int k) {
        int n = 0;
        for (int[] v : c.byOwner.values()) {
            n += v[k];
        }
        return n;
    }

    private static String topPeers(Census c, TcpState s) {
        if (s == TcpState.LISTEN) {
            return "";
        }
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, Long> e : c.peers[s.kernelNumber()].top(3)) {
            out.append(out.length() == 0 ? "" : ", ").append(e.getKey()).append(" x").append(e.getValue());
        }
        return out.toString();
    }

    private static void closeWait(StringBuilder b, Census c) {
        if (c.closeWait.isEmpty()) {
            return;
        }
        b.append("\nCLOSE_WAIT by owner and peer (the peer closed; the owner has not)\n");
        b.append(String.format("  %-8s %-30s %-28s %6s %8s  %s%n", "PID", "COMMAND", "PEER", "COUNT", "RECV-Q", "PEER'S FIN"));
        List<CloseWaitGroup> groups = new ArrayList<>(c.closeWait.values());
        groups.sort(Comparator.comparingInt((CloseWaitGroup g) -> g.count).reversed());
        for (CloseWaitGroup g : groups.subList(0, Math.min(20, groups.size()))) {
            String age;
            if (g.maxSinceAckMs >= 0) {
                age = ">= " + duration(g.ageMs()) + " ago (last data " + duration(g.maxSinceDataMs) + " ago)";
            } else if (g.watchedMs >= 0) {
                age = "seen for " + duration(g.watchedMs);
            } else {
                age = "unknown";
            }
            b.append(String.format("  %-8s %-30s %-28s %6d %8d  %s%n", g.owner == null ? "?" : Long.toString(g.owner.pid),
                    g.owner == null ? "(holder not readable)" : Untrusted.brief(g.owner.command(), 30),
                    Untrusted.shorten(g.peer.display(), 28), g.count, g.unread, age));
            for (Owner o : g.alsoHeldBy) {
                b.append(String.format("  %-8s %-30s %s%n", o.pid, Untrusted.brief(o.command(), 30), "also holds them"));
            }
        }
        if (groups.size() > 20) {
            b.append("  ... ").append(groups.size() - 20).append(" more groups (--json lists all)\n");
        }
        b.append("  meaning: each peer sent FIN; the process read the end of stream (or never reads) and has not called"
                + " close(). Recv-Q counts unread bytes (+1 for the FIN until it is read).\n");
    }

    private static void closing(StringBuilder b, Census c) {
        if (c.orphanFinWait2 == 0 && c.unacked.isEmpty()) {
            return;
        }
        b.append("\nCLOSING (we closed; waiting for the peer)\n");
        if (c.orphanFinWait2 > 0) {
            b.append("  orphaned FIN_WAIT2: ").append(c.orphanFinWait2).append(" (no descriptor; the next expires in at most ")
                    .append(duration(c.orphanFinWait2MaxLeftMs)).append(", tcp_fin_timeout ")
                    .append(c.settings == null ? "?" : c.settings.finTimeout().getSeconds() + " s").append("); peers: ");
            List<Map.Entry<String, Long>> top = c.orphanPeers.top(3);
            for (int i = 0; i < top.size(); i++) {
                b.append(i == 0 ? "" : ", ").append(top.get(i).getKey()).append(" x").append(top.get(i).getValue());
            }
            b.append('\n');
        }
        for (Unacked u : c.unacked.values()) {
            b.append(String.format("  %-10s %-32s %6d sockets (%d orphaned), %d bytes unsent, up to %d retransmissions%s%n",
                    u.state, u.peer.display(), u.count, u.orphans, u.unsent, u.maxRetransmits,
                    u.maxSinceAckMs >= 0 ? ", peer silent " + duration(u.maxSinceAckMs) : ""));
        }
    }

    private static void timeWait(StringBuilder b, Census c) {
        if (c.destinations.isEmpty() && c.serverTimeWait.distinct() == 0) {
            return;
        }
        b.append("\nEPHEMERAL PORTS by destination");
        if (c.settings != null) {
            b.append(" (ip_local_port_range ").append(c.settings.localPortLow()).append('-').append(c.settings.localPortHigh())
                    .append(" = ").append(c.settings.localPorts()).append(" ports per destination; tcp_tw_reuse=")
                    .append(c.settings.twReuse()).append(c.settings.twReuseDelay().map(d -> ", delay " + d.toMillis() + " ms").orElse(""))
                    .append(')');
        }
        b.append('\n');
        b.append(String.format("  %-28s %9s %7s %7s %12s %12s%n", "DESTINATION", "TIME_WAIT", "OTHER", "USED", "CLOSES/S", "SUSTAINS/S"));
        List<Destination> ds = new ArrayList<>(c.destinations.values());
        ds.sort(Comparator.comparingInt(Destination::used).reversed());
        for (Destination d : ds.subList(0, Math.min(10, ds.size()))) {
            b.append(String.format("  %-28s %9d %7d %7s %12s %12s%n", d.address, d.timeWait, d.other, percent(c.portUsePercent(d)),
                    "~" + d.timeWait / 60, c.sustainablePerSecond(d)));
        }
        if (ds.size() > 10) {
            b.append("  ... ").append(ds.size() - 10).append(" more destinations\n");
        }
        for (Map.Entry<Integer, Long> e : c.serverTimeWait.top(3)) {
            b.append("  TIME_WAIT on local port ").append(e.getKey()).append(" (server side, closed first here): ")
                    .append(e.getValue()).append(" (uses no ephemeral port)\n");
        }
    }

    private static void listeners(StringBuilder b, Census c, Census previous) {
        List<Listener> ls = new ArrayList<>(c.listeners);
        ls.sort(Comparator.comparingDouble((Listener l) -> l.backlog() == 0 ? 0 : (double) l.queue() / l.backlog()).reversed());
        b.append("\nLISTENERS (").append(ls.size()).append("; accept queue / backlog)\n");
        for (Listener l : ls.subList(0, Math.min(10, ls.size()))) {
            Owner o = l.owner();
            b.append(String.format("  %-28s %5d / %-5d %-6s %s%n", l.local(), l.queue(), l.backlog(),
                    l.full() ? "FULL" : l.nearFull() ? "NEAR" : "",
                    o == null ? "(owner not readable)" : o.pid + " " + Untrusted.brief(o.command(), 40)));
        }
        if (ls.size() > 10) {
            b.append("  ... ").append(ls.size() - 10).append(" more\n");
        }
        b.append("  kernel: ListenOverflows ").append(c.netstat.listenOverflows().isPresent() ? c.netstat.listenOverflows().getAsLong() : "?")
                .append(", ListenDrops ").append(c.netstat.listenDrops().isPresent() ? c.netstat.listenDrops().getAsLong() : "?");
        if (previous != null && c.netstat.listenOverflows().isPresent() && previous.netstat.listenOverflows().isPresent()) {
            b.append(" (+").append(c.netstat.listenOverflows().getAsLong() - previous.netstat.listenOverflows().getAsLong())
                    .append(" overflows since the last sample)");
        }
        b.append('\n');
    }

    private static void settings(StringBuilder b, Census c) {
        b.append("\nKERNEL SETTINGS\n");
        if (c.settings == null) {
            b.append("  could not be read: ").append(c.settingsError).append('\n');
            return;
        }
        for (String a : c.settings.advice()) {
            b.append("  - ").append(a).append('\n');
        }
    }

    /** "fin-wait-1", "close-wait", "syn-recv": a state as thresholds and Prometheus label values spell it. */
    static String stateName(TcpState s) {
        return switch (s) {
            case FIN_WAIT1 -> "fin-wait-1";
            case FIN_WAIT2 -> "fin-wait-2";
            default -> s.name().toLowerCase(Locale.ROOT).replace('_', '-');
        };
    }

    static String duration(long ms) {
        if (ms < 0) {
            return "?";
        }
        long s = ms / 1000;
        if (s < 60) {
            return ms < 10_000 ? String.format(Locale.ROOT, "%.1fs", ms / 1000.0) : s + "s";
        }
        if (s < 3600) {
            return s / 60 + "m" + String.format("%02ds", s % 60);
        }
        return s / 3600 + "h" + String.format("%02dm", s / 60 % 60);
    }

    static String percent(double p) {
        return String.format(Locale.ROOT, "%.1f%%", p);
    }

    static String number(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.1f", v);
    }
}
