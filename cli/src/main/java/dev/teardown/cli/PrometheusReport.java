package dev.teardown.cli;

import dev.teardown.cli.Census.CloseWaitGroup;
import dev.teardown.cli.Census.Destination;
import dev.teardown.cli.Census.Listener;
import dev.teardown.cli.OwnerScan.Owner;
import dev.teardown.TcpState;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The report in Prometheus' text exposition format (0.0.4), or in OpenMetrics 1.0 when asked. The namespace-wide
 * counts use OpenTelemetry's metric {@code system.network.connection.count} (attributes
 * {@code network.connection.state}, values as the semantic conventions spell them, and {@code network.transport}),
 * in Prometheus form; teardown's own series are per process, per destination and per listener, named as the
 * Micrometer binder names the same things ({@code teardown_process_connection_count}). {@code promtool check metrics}
 * advises against the {@code _count} suffix on gauges; the names follow OpenTelemetry's {@code *.count} instead.
 *
 * <p><b>Bounded labels.</b> A process is labelled by {@code process_executable_name} (its 15-byte kernel name, as
 * OpenTelemetry's {@code process.executable.name}), never by its command line (that stays in the JSON); its pid
 * ({@code process_pid}) only when asked, since it changes at every restart. Series that would share one label set
 * (two {@code python3} processes) are added up, or the larger kept where a sum means nothing (an age), so no series
 * appears twice. Destinations and listeners are limited to the {@value #TOP} busiest per namespace. Every label value
 * is at most {@value #MAX_LABEL} characters and escaped exactly once, as the format requires (backslash, double quote,
 * line feed), from the raw value. With several namespaces each series carries {@code netns} (the name a person finds
 * it by: container, pod, {@code ip netns} name or inode), and {@code teardown_netns_info} joins it to the container ID
 * and pod UID.
 */
final class PrometheusReport {
    private PrometheusReport() {}

    static final int MAX_LABEL = 128;
    static final int TOP = 50;
    static final String TEXT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    static final String OPENMETRICS_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    /**
     * @param pidLabel add {@code process_pid} to process series
     * @param openMetrics OpenMetrics 1.0 instead of the 0.0.4 text format
     */
    record Options(boolean pidLabel, boolean openMetrics) {}

    /** One metric family: its samples by label set, merged by sum or max when a label set repeats. */
    private static final class Family {
        final String name;
        final String type;
        final String help;
        final boolean max;
        final Map<String, Double> samples = new LinkedHashMap<>();

        Family(String name, String type, String help, boolean max) {
            this.name = name;
            this.type = type;
            this.help = help;
            this.max = max;
        }

        void add(String labels, double v) {
            samples.merge(labels, v, max ? Math::max : Double::sum);
        }
    }

    /** The families in the order they are written. */
    private static final class Families {
        final Map<String, Family> byName = new LinkedHashMap<>();

        Family gauge(String name, String help) {
            return byName.computeIfAbsent(name, n -> new Family(n, "gauge", help, false));
        }

        Family gaugeMax(String name, String help) {
            return byName.computeIfAbsent(name, n -> new Family(n, "gauge", help, true));
        }

        /** {@code name} without "_total"; the sample gets the suffix. */
        Family counter(String name, String help) {
            return byName.computeIfAbsent(name, n -> new Family(n, "counter", help, false));
        }
    }

    /** The report of the calling thread's namespace, as before namespaces: no {@code netns} label. */
    static String render(Census c, Options o) {
        Families f = new Families();
        add(f, c, "", o);
        global(f, c.owners);
        return write(f, o);
    }

    /** Several namespaces: every series carries {@code netns}; skipped namespaces are counted. */
    static String render(Host.Reading r, Options o) {
        Families f = new Families();
        Family info = f.gauge("teardown_netns_info", "A network namespace read: its name, inode, container and pod (value 1)");
        for (Host.Section s : r.sections()) {
            NetnsName n = s.name();
            info.add(labels("netns", n.display(), "netns_inode", Long.toString(s.ns().inode()),
                    "container_runtime", n.runtime() == null ? "" : n.runtime(),
                    "container_id", n.containerId() == null ? "" : n.containerId(),
                    "k8s_pod_uid", n.podUid() == null ? "" : n.podUid()), 1);
        }
        for (Host.Section s : r.sections()) {
            add(f, s.census(), label("netns", s.name().display()), o);
        }
        f.gauge("teardown_netns_skipped", "Namespaces that could not be read in the last reading (gone meanwhile, or not"
                + " enterable)").add("", r.skipped().size());
        f.gauge("teardown_read_duration_seconds", "Wall time of the last reading of every namespace with owners")
                .add("", r.nanos() / 1e9);
        if (r.owners() != null) {
            global(f, r.owners());
        }
        return write(f, o);
    }

    private static void add(Families f, Census c, String ns, Options o) {
        Family conn = f.gauge("system_network_connection_count",
                "TCP connections by state in a network namespace (OpenTelemetry system.network.connection.count)");
        for (TcpState s : Text.ORDER) {
            conn.add(join(ns, labels("network_connection_state", otelState(s), "network_transport", "tcp")), c.count(s));
        }
        Family proc = f.gauge("teardown_process_connection_count", "TCP sockets held by processes, by executable name and state");
        for (Map.Entry<Integer, int[]> e : c.byOwner.entrySet()) {
            Owner owner = c.owners.owners().get(e.getKey());
            String who = join(ns, process(owner, o));
            for (TcpState s : Text.ORDER) {
                int n = e.getValue()[s.kernelNumber()];
                if (n > 0) {
                    proc.add(join(who, labels("network_connection_state", otelState(s), "network_transport", "tcp")), n);
                }
            }
        }
        Family unread = f.gauge("teardown_process_close_wait_unread_bytes", "Unread bytes (Recv-Q) in processes' CLOSE_WAIT sockets");
        Family age = f.gaugeMax("teardown_process_close_wait_fin_age_seconds",
                "At least this long since the oldest peer FIN of processes' CLOSE_WAIT sockets (-1 unknown)");
        Family unowned = f.gauge("teardown_close_wait_unowned_count", "CLOSE_WAIT sockets whose holder could not be read");
        long noOwner = 0;
        for (CloseWaitGroup g : c.closeWait.values()) {
            if (g.owner == null) {
                noOwner += g.count;
                continue;
            }
            String who = join(ns, process(g.owner, o));
            unread.add(who, g.unread);
            age.add(who, g.ageMs() < 0 ? -1 : g.ageMs() / 1000.0);
        }
        unowned.add(ns, noOwner);
        f.gauge("teardown_orphan_fin_wait_2_count", "Orphaned FIN_WAIT2 sockets (closed here, waiting for the peer's FIN)")
                .add(ns, c.orphanFinWait2);
        f.gauge("teardown_orphan_fin_wait_2_joined_count", "Orphaned FIN_WAIT2 sockets whose other end is a CLOSE_WAIT"
                + " socket in the same namespace").add(ns, c.orphansJoined);
        List<Destination> ds = new ArrayList<>(c.destinations.values());
        ds.sort(Comparator.comparingInt(Destination::used).reversed());
        Family tw = f.gauge("teardown_destination_time_wait_count", "TIME_WAIT sockets from local ephemeral ports towards a"
                + " destination (the " + TOP + " busiest per namespace)");
        Family used = f.gaugeMax("teardown_destination_ephemeral_ports_used_ratio",
                "Share of ip_local_port_range in use towards a destination, every state that holds a port");
        Family sustain = f.gaugeMax("teardown_destination_sustainable_connections_per_second",
                "New connections per second the port range sustains towards a destination with the current tcp_tw_reuse");
        for (Destination d : ds.subList(0, Math.min(TOP, ds.size()))) {
            String l = join(ns, labels("destination", d.address));
            tw.add(l, d.timeWait);
            used.add(l, c.portUsePercent(d) / 100);
            sustain.add(l, c.sustainablePerSecond(d));
        }
        f.gaugeMax("teardown_ephemeral_ports_used_ratio_max", "The largest share of the port range in use towards one"
                + " destination").add(ns, c.maxPortUsePercent() / 100);
        List<Listener> ls = new ArrayList<>(c.listeners);
        ls.sort(Comparator.comparingLong(Listener::queue).reversed());
        Family queue = f.gauge("teardown_listener_accept_queue", "Connections waiting in listeners' accept queues (the "
                + TOP + " fullest per namespace)");
        Family backlog = f.gauge("teardown_listener_backlog", "Listeners' accept queue limits");
        for (Listener li : ls.subList(0, Math.min(TOP, ls.size()))) {
            String l = join(ns, labels("local", li.local(), "process_executable_name",
                    li.owner() == null ? "" : li.owner().executableName()));
            if (o.pidLabel()) {
                l = join(l, labels("process_pid", li.owner() == null ? "" : Long.toString(li.owner().pid)));
            }
            queue.add(l, li.queue());
            backlog.add(l, li.backlog());
        }
        if (c.netstat.listenOverflows().isPresent()) {
            f.counter("teardown_tcp_listen_overflows", "Kernel TcpExt ListenOverflows: handshakes completed while the accept"
                    + " queue was full").add(ns, c.netstat.listenOverflows().getAsLong());
        }
        if (c.netstat.listenDrops().isPresent()) {
            f.counter("teardown_tcp_listen_drops", "Kernel TcpExt ListenDrops: handshakes dropped at a listener")
                    .add(ns, c.netstat.listenDrops().getAsLong());
        }
    }

    private static void global(Families f, OwnerScan owners) {
        f.gauge("teardown_unreadable_processes", "Processes whose descriptors could not be read (their sockets have no owner)")
                .add("", owners.unreadable());
    }

    private static String process(Owner owner, Options o) {
        String l = labels("process_executable_name", owner.executableName());
        return o.pidLabel() ? join(l, labels("process_pid", Long.toString(owner.pid))) : l;
    }

    private static String write(Families f, Options o) {
        StringBuilder b = new StringBuilder(4096);
        for (Family fam : f.byName.values()) {
            String sample = fam.type.equals("counter") ? fam.name + "_total" : fam.name;
            String meta = fam.type.equals("counter") && !o.openMetrics() ? sample : fam.name;
            b.append("# HELP ").append(meta).append(' ').append(fam.help).append('\n');
            b.append("# TYPE ").append(meta).append(' ').append(fam.type).append('\n');
            for (Map.Entry<String, Double> e : fam.samples.entrySet()) {
                b.append(sample);
                if (!e.getKey().isEmpty()) {
                    b.append('{').append(e.getKey()).append('}');
                }
                b.append(' ').append(number(e.getValue())).append('\n');
            }
        }
        if (o.openMetrics()) {
            b.append("# EOF\n");
        }
        return b.toString();
    }

    static String number(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return Double.toString(v);
    }

    /** {@code name="value",...} from name, value pairs; values bounded and escaped once. */
    static String labels(String... pairs) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < pairs.length; i += 2) {
            b.append(i == 0 ? "" : ",").append(label(pairs[i], pairs[i + 1]));
        }
        return b.toString();
    }

    static String label(String name, String value) {
        return name + "=\"" + escape(bound(value)) + "\"";
    }

    private static String join(String a, String b) {
        return a.isEmpty() ? b : b.isEmpty() ? a : a + "," + b;
    }

    /** At most {@value #MAX_LABEL} characters (code points), "..." marking a cut. */
    static String bound(String v) {
        if (v.codePointCount(0, v.length()) <= MAX_LABEL) {
            return v;
        }
        return v.substring(0, v.offsetByCodePoints(0, MAX_LABEL - 3)) + "...";
    }

    /** The exposition format's escaping of a label value, applied once to the raw value. */
    static String escape(String v) {
        StringBuilder b = new StringBuilder(v.length() + 8);
        for (int i = 0; i < v.length(); i++) {
            char ch = v.charAt(i);
            switch (ch) {
                case '\\' -> b.append("\\\\");
                case '"' -> b.append("\\\"");
                case '\n' -> b.append("\\n");
                default -> b.append(ch);
            }
        }
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
}
