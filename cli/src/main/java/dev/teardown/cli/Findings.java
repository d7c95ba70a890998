package dev.teardown.cli;

import dev.teardown.cli.Census.CloseWaitGroup;
import dev.teardown.cli.Census.Destination;
import dev.teardown.cli.Census.Listener;
import dev.teardown.cli.Census.Unacked;
import dev.teardown.cli.OwnerScan.Owner;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Turns a {@link Census} into findings, one per process or destination, each saying what to do. */
final class Findings {
    private Findings() {}

    /** Orphaned FIN_WAIT2 and unacknowledged FINs become worth a line from this many. */
    static final int PILE = 10;

    static List<Finding> of(Census c) {
        List<Finding> out = new ArrayList<>();
        closeWait(c, out);
        if (c.orphanFinWait2 >= PILE || c.orphansJoined > 0) {
            long life = c.settings == null ? -1 : c.settings.orphanFinWait2Lifetime().getSeconds();
            out.add(new Finding("info", "orphan-fin-wait-2", Finding.NO_PID, null, c.orphanFinWait2
                    + " orphaned FIN_WAIT2 sockets (closed here, the peer never sent its FIN; top peer "
                    + top(c.orphanPeers) + "): the kernel destroys each "
                    + (life >= 0 ? "after tcp_fin_timeout (" + life + " s)" : "after tcp_fin_timeout")
                    + " without TIME_WAIT." + (c.orphansJoined > 0 ? " " + joined(c)
                    : " Harmless unless the peer is a process of yours stuck in CLOSE_WAIT; lower"
                    + " tcp_fin_timeout only if they pile up faster than they expire.")));
        }
        for (Unacked u : c.unacked.values()) {
            if (u.count >= PILE || u.maxRetransmits >= 2) {
                out.add(new Finding(u.maxRetransmits >= 2 ? "warning" : "info", "unacked-fin", Finding.NO_PID, null,
                        u.count + " sockets in " + u.state + " towards " + u.peer.display() + " (" + u.orphans
                                + " orphaned, " + u.unsent + " bytes unsent, up to " + u.maxRetransmits + " retransmissions"
                                + (u.maxSinceAckMs >= 0 ? ", peer silent for " + Text.duration(u.maxSinceAckMs) : "")
                                + "): our FIN is not acknowledged; the peer is slow, gone or unreachable. They end after"
                                + " tcp_orphan_retries (orphans) or the retransmission timeout; SO_LINGER {1,0} (ABORT)"
                                + " closes towards a dead peer at once."));
            }
        }
        for (Destination d : c.destinations.values()) {
            double pct = c.portUsePercent(d);
            if (pct >= 25) {
                long sustain = c.sustainablePerSecond(d);
                out.add(new Finding(pct >= 75 ? "critical" : "warning", "time-wait-ports", Finding.NO_PID, null,
                        "destination " + d.address + ": " + d.used() + " of " + c.settings.localPorts() + " ephemeral ports in use ("
                                + Text.percent(pct) + ", " + d.timeWait + " in TIME_WAIT, about " + d.timeWait / 60
                                + " closes/s over the last minute; the range sustains " + sustain
                                + "/s): connect() to it fails with EADDRNOTAVAIL when they run out. Reuse connections (keep-alive,"
                                + " a pool), let the server close first, widen ip_local_port_range"
                                + (c.settings.twReuse() == 1 ? "" : ", or set tcp_tw_reuse=1") + "."));
            }
        }
        for (Listener l : c.listeners) {
            if (l.nearFull()) {
                Owner o = l.owner();
                out.add(new Finding(l.full() ? "critical" : "warning", "accept-queue", o == null ? Finding.NO_PID : o.pid,
                        o == null ? null : o.command(),
                        who(o) + " listening on " + l.local() + " has " + l.queue() + " connections waiting for accept()"
                                + " (backlog " + l.backlog() + (l.full() ? ", FULL" : "") + "): it does not accept fast enough"
                                + " or is stuck; clients see SYN retries and timeouts. Accept faster (more acceptor threads,"
                                + " no blocking work before accept) or raise the backlog (capped by somaxconn"
                                + (c.settings == null ? "" : "=" + c.settings.somaxconn()) + ")."));
            }
        }
        if (c.netstat.listenOverflows().isPresent() && c.netstat.listenOverflows().getAsLong() > 0) {
            out.add(new Finding("info", "listen-overflows", Finding.NO_PID, null, "the kernel counted "
                    + c.netstat.listenOverflows().getAsLong() + " accept-queue overflows (ListenOverflows) and "
                    + c.netstat.listenDrops().orElse(0) + " dropped handshakes (ListenDrops) since this namespace started;"
                    + " watch their rate with --watch."));
        }
        if (c.owners.unreadable() > 0) {
            out.add(new Finding("info", "blind-spot", Finding.NO_PID, null, "the descriptors of " + c.owners.unreadable()
                    + " processes could not be read" + (c.root ? "" : " (not root)") + ": " + c.unownedTotal()
                    + " sockets have no owner shown. Run as root to see every owner."));
        }
        return out;
    }

    private static void closeWait(Census c, List<Finding> out) {
        Map<Owner, List<CloseWaitGroup>> byOwner = new LinkedHashMap<>();
        int unowned = 0;
        for (CloseWaitGroup g : c.closeWait.values()) {
            if (g.owner == null) {
                unowned += g.count;
            } else {
                byOwner.computeIfAbsent(g.owner, k -> new ArrayList<>()).add(g);
            }
        }
        for (Map.Entry<Owner, List<CloseWaitGroup>> e : byOwner.entrySet()) {
            Owner o = e.getKey();
            int count = 0;
            long unread = 0;
            long age = -1;
            Set<Owner> others = new LinkedHashSet<>();
            List<String> peers = new ArrayList<>();
            for (CloseWaitGroup g : e.getValue()) {
                count += g.count;
                unread += g.unread;
                age = Math.max(age, g.ageMs());
                others.addAll(g.alsoHeldBy);
                if (peers.size() < 3) {
                    peers.add(g.peer.display());
                }
            }
            String also = "";
            if (!others.isEmpty()) {
                StringBuilder b = new StringBuilder();
                for (Owner x : others) {
                    b.append(b.length() == 0 ? "" : ", ").append("pid ").append(x.pid).append(" (")
                            .append(Untrusted.shorten(x.command(), 40)).append(')');
                }
                also = " Also held by " + b + ": a child that inherited them keeps them open even after " + o.pid
                        + " closes; shut them down (shutdown(SHUT_RDWR)) or stop the child inheriting them (close-on-exec)."
                        + " See ./teardown demo close-wait-leak.";
            }
            int orphaned = 0;
            for (CloseWaitGroup g : e.getValue()) {
                orphaned += g.orphanedPeers;
            }
            out.add(new Finding(count >= 100 || age >= 60_000 ? "critical" : "warning", "close-wait", o.pid, o.command(),
                    who(o) + " holds " + count + " socket" + (count == 1 ? "" : "s") + " in CLOSE_WAIT (peers " + String.join(", ", peers)
                            + (e.getValue().size() > 3 ? ", ..." : "") + "; " + unread + " bytes unread"
                            + (age >= 0 ? "; the peer's FIN is at least " + Text.duration(age) + " old" : "")
                            + "): the peer closed and this process read the end of stream, or never reads, and has not"
                            + " closed. It must close them." + also
                            + (orphaned > 0 ? " Their other ends are " + orphaned + " orphaned FIN_WAIT2 sockets on this"
                                    + " host: the closing side has gone, only this process keeps the connections." : "")
                            + (Jvm.is(o.pid) ? " It is a JVM: `teardown doctor --pid " + o.pid + " --attach` names the code"
                                    + " that opened them (or start it with -javaagent:teardown-agent.jar)." : "")));
        }
        if (unowned > 0) {
            out.add(new Finding("warning", "close-wait-unowned", Finding.NO_PID, null, unowned
                    + " sockets in CLOSE_WAIT whose holder could not be read" + (c.root ? "" : " (run as root to name it)")
                    + ": some process must close them."));
        }
    }

    /** "the other end of pid N's 300 CLOSE_WAIT (command)", for each owner whose CLOSE_WAIT the orphans left. */
    private static String joined(Census c) {
        Map<Owner, Integer> by = new LinkedHashMap<>();
        int unowned = 0;
        for (CloseWaitGroup g : c.closeWait.values()) {
            if (g.orphanedPeers > 0) {
                if (g.owner == null) {
                    unowned += g.orphanedPeers;
                } else {
                    by.merge(g.owner, g.orphanedPeers, Integer::sum);
                }
            }
        }
        StringBuilder b = new StringBuilder();
        for (Map.Entry<Owner, Integer> e : by.entrySet()) {
            b.append(b.length() == 0 ? "" : "; ").append(e.getValue()).append(" of them are the other end of pid ")
                    .append(e.getKey().pid).append("'s ").append(e.getValue()).append(" CLOSE_WAIT (")
                    .append(Untrusted.brief(e.getKey().command(), 60)).append(')');
        }
        if (unowned > 0) {
            b.append(b.length() == 0 ? "" : "; ").append(unowned).append(" of them are the other end of CLOSE_WAIT sockets"
                    + " whose holder could not be read");
        }
        return b.append(": they end by themselves; the fix is in the process that keeps the CLOSE_WAIT open.").toString();
    }

    private static String who(Owner o) {
        return o == null ? "an unknown process" : "pid " + o.pid + " (" + Untrusted.shorten(o.command(), 120) + ")";
    }

    private static String top(Tally<String> t) {
        List<Map.Entry<String, Long>> top = t.top(1);
        return top.isEmpty() ? "-" : top.get(0).getKey() + " x" + top.get(0).getValue();
    }
}
