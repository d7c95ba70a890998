package dev.teardown.cli;

import dev.teardown.cli.Census.CloseWaitGroup;
import dev.teardown.cli.Census.Destination;
import dev.teardown.cli.Census.Listener;
import dev.teardown.cli.OwnerScan.Owner;
import dev.teardown.TcpState;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The report in Prometheus' text exposition format. The namespace-wide counts use OpenTelemetry's metric
 * {@code system.network.connection.count} (attributes {@code network.connection.state}, values as the semantic
 * conventions spell them, and {@code network.transport}), in Prometheus form; teardown's own series are per
 * process ({@code pid}, {@code command}), per destination and per listener. Label values are escaped as the
 * format requires, after the command's own escaping ({@link Untrusted}).
 */
final class PrometheusReport {
    private PrometheusReport() {}

    static String render(Census c) {
        StringBuilder b = new StringBuilder();
        help(b, "system_network_connection_count", "gauge", "TCP connections by state in this network namespace (OpenTelemetry system.network.connection.count)");
        for (TcpState s : Text.ORDER) {
            b.append("system_network_connection_count{network_connection_state=\"").append(otelState(s))
                    .append("\",network_transport=\"tcp\"} ").append(c.count(s)).append('\n');
        }
        help(b, "teardown_process_connection_count", "gauge", "TCP sockets held by a process, by state");
        for (Map.Entry<Integer, int[]> e : c.byOwner.entrySet()) {
            Owner o = c.owners.owners().get(e.getKey());
            for (TcpState s : Text.ORDER) {
                int n = e.getValue()[s.kernelNumber()];
                if (n > 0) {
                    b.append("teardown_process_connection_count{pid=\"").append(o.pid).append("\",command=\"")
                            .append(label(o.command())).append("\",network_connection_state=\"").append(otelState(s))
                            .append("\",network_transport=\"tcp\"} ").append(n).append('\n');
                }
            }
        }
        Map<Owner, long[]> cw = new HashMap<>();
        for (CloseWaitGroup g : c.closeWait.values()) {
            if (g.owner != null) {
                long[] v = cw.computeIfAbsent(g.owner, k -> new long[] {0, -1});
                v[0] += g.unread;
                v[1] = Math.max(v[1], g.ageMs());
            }
        }
        StringBuilder unread = new StringBuilder();
        StringBuilder age = new StringBuilder();
        for (Map.Entry<Owner, long[]> e : cw.entrySet()) {
            String labels = "{pid=\"" + e.getKey().pid + "\",command=\"" + label(e.getKey().command()) + "\"} ";
            unread.append("teardown_process_close_wait_unread_bytes").append(labels).append(e.getValue()[0]).append('\n');
            age.append("teardown_process_close_wait_fin_age_seconds").append(labels)
                    .append(e.getValue()[1] < 0 ? "-1" : Text.number(e.getValue()[1] / 1000.0)).append('\n');
        }
        family(b, "teardown_process_close_wait_unread_bytes", "gauge", "Unread bytes (Recv-Q) in a process's CLOSE_WAIT sockets", unread);
        family(b, "teardown_process_close_wait_fin_age_seconds", "gauge",
                "At least this long since the oldest peer FIN of a process's CLOSE_WAIT sockets (-1 unknown)", age);
        help(b, "teardown_orphan_fin_wait_2_count", "gauge", "Orphaned FIN_WAIT2 sockets (closed here, waiting for the peer's FIN)");
        b.append("teardown_orphan_fin_wait_2_count ").append(c.orphanFinWait2).append('\n');
        StringBuilder tw = new StringBuilder();
        StringBuilder used = new StringBuilder();
        StringBuilder sustain = new StringBuilder();
        for (Destination d : c.destinations.values()) {
            String l = "{destination=\"" + label(d.address) + "\"} ";
            tw.append("teardown_destination_time_wait_count").append(l).append(d.timeWait).append('\n');
            used.append("teardown_destination_ephemeral_ports_used_ratio").append(l)
                    .append(String.format(Locale.ROOT, "%.4f", c.portUsePercent(d) / 100)).append('\n');
            sustain.append("teardown_destination_sustainable_connections_per_second").append(l).append(c.sustainablePerSecond(d)).append('\n');
        }
        family(b, "teardown_destination_time_wait_count", "gauge", "TIME_WAIT sockets from local ephemeral ports towards a destination", tw);
        family(b, "teardown_destination_ephemeral_ports_used_ratio", "gauge",
                "Share of ip_local_port_range in use towards a destination (TIME_WAIT and open)", used);
        family(b, "teardown_destination_sustainable_connections_per_second", "gauge",
                "New connections per second the port range sustains towards a destination with the current tcp_tw_reuse", sustain);
        StringBuilder queue = new StringBuilder();
        StringBuilder backlog = new StringBuilder();
        for (Listener li : c.listeners) {
            String l = "{local=\"" + label(li.local()) + "\",pid=\"" + (li.owner() == null ? "" : li.owner().pid) + "\"} ";
            queue.append("teardown_listener_accept_queue").append(l).append(li.queue()).append('\n');
            backlog.append("teardown_listener_backlog").append(l).append(li.backlog()).append('\n');
        }
        family(b, "teardown_listener_accept_queue", "gauge", "Connections waiting in a listener's accept queue", queue);
        family(b, "teardown_listener_backlog", "gauge", "A listener's accept queue limit", backlog);
        if (c.netstat.listenOverflows().isPresent()) {
            help(b, "teardown_tcp_listen_overflows_total", "counter", "Kernel TcpExt ListenOverflows: handshakes completed while the accept queue was full");
            b.append("teardown_tcp_listen_overflows_total ").append(c.netstat.listenOverflows().getAsLong()).append('\n');
        }
        if (c.netstat.listenDrops().isPresent()) {
            help(b, "teardown_tcp_listen_drops_total", "counter", "Kernel TcpExt ListenDrops: handshakes dropped at a listener");
            b.append("teardown_tcp_listen_drops_total ").append(c.netstat.listenDrops().getAsLong()).append('\n');
        }
        help(b, "teardown_unreadable_processes", "gauge", "Processes whose descriptors could not be read (their sockets have no owner)");
        b.append("teardown_unreadable_processes ").append(c.owners.unreadable()).append('\n');
        return b.toString();
    }

    /** The semantic conventions' value of network.connection.state. */
    static String otelState(TcpState s) {
        return switch (s) {
            case SYN_RECV, NEW_SYN_RECV -> "syn_received";
            case FIN_WAIT1 -> "fin_wait_1";
            case FIN_WAIT2 -> "fin_wait_2";
            case CLOSE -> "closed";
            default -> s.name().toLowerCase(Locale.ROOT);
        };
    }

    private static void family(StringBuilder b, String name, String type, String help, StringBuilder samples) {
        help(b, name, type, help);
        b.append(samples);
    }

    private static void help(StringBuilder b, String name, String type, String help) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    /** Escapes a label value: backslash, double quote and line feed, as the exposition format requires. */
    static String label(String v) {
        return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
