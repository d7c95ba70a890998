package dev.teardown.bench;

import dev.teardown.bench.Driver.ChurnIt;
import dev.teardown.bench.Driver.Lat;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/** The comparison tables printed at the end of a run (and saved as summary.txt). */
final class Tables {
    private Tables() {}

    static final String[] CLIENTS = {Client.TEARDOWN, Client.C, Client.CHANNEL, Client.SOCKET};

    static String render(Profile p, Map<String, Lat> latency, List<ChurnIt> churn, Map<String, Map<String, String>> load) {
        StringBuilder b = new StringBuilder();
        if (!latency.isEmpty()) {
            latencyTable(b, latency, churn);
            allocTable(b, latency, churn);
        }
        if (!churn.isEmpty()) {
            churnTable(b, p, churn);
        }
        if (!load.isEmpty()) {
            loadTable(b, load);
        }
        targets(b, latency, churn, load);
        return b.toString();
    }

    private static void latencyTable(StringBuilder b, Map<String, Lat> latency, List<ChurnIt> churn) {
        b.append("Close path alone, ns: mean / p50 / p99 (teardown, jdk-*: JMH SampleTime; c: close-path loop; set-up untimed;\n"
                + "c-churn: churn's close_ns_mean, median over runs, no exchange; server-first: close_call_ns_mean, the close alone)\n");
        String fmt = "%-13s %-22s %-22s %-22s %-22s %8s %7s %7s %8s %7s %7s%n";
        b.append(String.format(Locale.ROOT, fmt, "mode", "teardown", "c", "jdk-channel", "jdk-socket", "c-churn", "td/c",
                "td/c", "td/c-ch", "td/ch", "td/so"));
        b.append(String.format(Locale.ROOT, fmt, "", "", "", "", "", "mean", "mean", "p50", "mean", "mean", "mean"));
        for (Variant v : Variant.values()) {
            Lat td = latency.get(Client.TEARDOWN + "/" + v.label);
            Lat c = latency.get(Client.C + "/" + v.label);
            Lat ch = latency.get(Client.CHANNEL + "/" + v.label);
            Lat so = latency.get(Client.SOCKET + "/" + v.label);
            if (td == null && c == null && ch == null && so == null) {
                continue;
            }
            double cc = cChurnClose(churn, v);
            b.append(String.format(Locale.ROOT, fmt, v.label, lat(td), lat(c), lat(ch), lat(so), n0(cc),
                    ratio(td, c, Lat::mean), ratio(td, c, Lat::p50), td == null ? "-" : r(td.mean(), cc),
                    ratio(td, ch, Lat::mean), ratio(td, so, Lat::mean)));
        }
        b.append('\n');
    }

    /** churn's own close-path mean for this variant (no exchange): the close sequence, or the close alone for server-first. */
    static double cChurnClose(List<ChurnIt> churn, Variant v) {
        if (!v.inChurn) {
            return Double.NaN;
        }
        return median(select(churn, Client.C, v, false,
                v == Variant.SERVER_FIRST ? ChurnIt::closeCallNsMean : ChurnIt::closeNsMean));
    }

    private static void allocTable(StringBuilder b, Map<String, Lat> latency, List<ChurnIt> churn) {
        b.append("Allocation, bytes per close: median / mean of the close path alone (thread allocation counter,"
                + " measurement iterations) | JMH -prof gc\ngc.alloc.rate.norm per close invocation (all threads, connect and"
                + " set-up included) | -prof gc per churn cycle (connect + close, no exchange, median)\n");
        String fmt = "%-13s %14s %14s %14s | %9s %9s %9s | %9s %9s %9s%n";
        b.append(String.format(Locale.ROOT, fmt, "mode", "teardown", "jdk-channel", "jdk-socket", "teardown", "jdk-chan",
                "jdk-sock", "teardown", "jdk-chan", "jdk-sock"));
        for (Variant v : Variant.values()) {
            Lat td = latency.get(Client.TEARDOWN + "/" + v.label);
            Lat ch = latency.get(Client.CHANNEL + "/" + v.label);
            Lat so = latency.get(Client.SOCKET + "/" + v.label);
            if (td == null && ch == null && so == null) {
                continue;
            }
            b.append(String.format(Locale.ROOT, fmt, v.label, alloc(td), alloc(ch), alloc(so),
                    num(td, Lat::gcAllocNorm), num(ch, Lat::gcAllocNorm), num(so, Lat::gcAllocNorm),
                    n0(median(select(churn, Client.TEARDOWN, v, false, ChurnIt::gcAllocNorm))),
                    n0(median(select(churn, Client.CHANNEL, v, false, ChurnIt::gcAllocNorm))),
                    n0(median(select(churn, Client.SOCKET, v, false, ChurnIt::gcAllocNorm)))));
        }
        b.append('\n');
    }

    private static String alloc(Lat l) {
        if (l == null || Double.isNaN(l.closeAllocBytes())) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.0f / %.1f", l.closeAllocMedian(), l.closeAllocBytes());
    }

    private static void churnTable(StringBuilder b, Profile p, List<ChurnIt> churn) {
        b.append("Churn, connections/s (median over ").append(p.rounds).append(p.rounds == 1 ? " round" : " rounds")
                .append(" x iterations), one client thread, the shared C listener\n");
        b.append(String.format(Locale.ROOT, "%-13s %-5s %9s %9s %9s %9s %6s %6s %6s | %-21s | %-21s | %s%n", "variant", "exch",
                "teardown", "c", "jdk-chan", "jdk-sock", "td/c", "td/ch", "td/so", "teardown TW/op RST/op",
                "c TW/op RST/op", "EADDRNOTAVAIL td/c/ch/so"));
        for (Variant v : Variant.values()) {
            for (boolean x : new boolean[] {false, true}) {
                double td = medianRate(churn, Client.TEARDOWN, v, x);
                double c = medianRate(churn, Client.C, v, x);
                double ch = medianRate(churn, Client.CHANNEL, v, x);
                double so = medianRate(churn, Client.SOCKET, v, x);
                if (Double.isNaN(td) && Double.isNaN(c) && Double.isNaN(ch) && Double.isNaN(so)) {
                    continue;
                }
                b.append(String.format(Locale.ROOT, "%-13s %-5s %9s %9s %9s %9s %6s %6s %6s | %-21s | %-21s | %s%n", v.label,
                        x ? "1B" : "-", n0(td), n0(c), n0(ch), n0(so), r(td, c), r(td, ch), r(td, so),
                        aux(churn, Client.TEARDOWN, v, x), aux(churn, Client.C, v, x),
                        sum(churn, Client.TEARDOWN, v, x) + "/" + sum(churn, Client.C, v, x) + "/"
                                + sum(churn, Client.CHANNEL, v, x) + "/" + sum(churn, Client.SOCKET, v, x)));
            }
        }
        b.append("TW/op: TIME_WAIT entries left per connection (change of TcpTable's count + entries recycled by"
                + " tcp_tw_reuse); RST/op: Tcp OutRsts of the namespace (either side) per connection\n\n");
    }

    private static void loadTable(StringBuilder b, Map<String, Map<String, String>> load) {
        b.append("TIME_WAIT under load (teardown clients, default port range 32768-60999, fresh namespace each)\n");
        b.append(String.format(Locale.ROOT, "%-24s %-13s %7s %8s %8s %10s %13s  %s%n", "strategy", "variant", "threads",
                "mean/s", "steady/s", "max TW", "EADDRNOTAVAIL", "settings"));
        for (Map.Entry<String, Map<String, String>> e : load.entrySet()) {
            Map<String, String> m = e.getValue();
            b.append(String.format(Locale.ROOT, "%-24s %-13s %7s %8s %8s %10s %13s  %s%n", e.getKey(), m.get("variant"),
                    m.get("threads"), m.get("mean_conns_per_sec"), m.get("steady_conns_per_sec"), m.get("max_time_wait"),
                    m.get("eaddrnotavail"), m.get("sysctls")));
        }
        b.append("steady/s: mean connections/s over the second half of the run\n\n");
    }

    private static void targets(StringBuilder b, Map<String, Lat> latency, List<ChurnIt> churn,
            Map<String, Map<String, String>> load) {
        List<String> lines = new ArrayList<>();
        double td = medianRate(churn, Client.TEARDOWN, Variant.CLIENT_FIRST, false);
        double c = medianRate(churn, Client.C, Variant.CLIENT_FIRST, false);
        double ch = medianRate(churn, Client.CHANNEL, Variant.CLIENT_FIRST, false);
        if (!Double.isNaN(td)) {
            lines.add(check("churn client-first >= 0.97x C", td / c, td / c >= 0.97));
            lines.add(check("churn client-first >= 1.05x jdk-channel", td / ch, td / ch >= 1.05));
        }
        double tda = medianRate(churn, Client.TEARDOWN, Variant.ABORT, false);
        double ca = medianRate(churn, Client.C, Variant.ABORT, false);
        if (!Double.isNaN(tda)) {
            lines.add(check("churn abort >= 0.95x C", tda / ca, tda / ca >= 0.95));
        }
        for (Variant v : new Variant[] {Variant.CLIENT_FIRST, Variant.ABORT, Variant.SHUTDOWN}) {
            Lat t = latency.get(Client.TEARDOWN + "/" + v.label);
            Lat k = latency.get(Client.C + "/" + v.label);
            if (t != null && k != null) {
                lines.add(check("close-path mean " + v.label + " <= 1.05x C", t.mean() / k.mean(), t.mean() / k.mean() <= 1.05));
            }
        }
        for (Variant v : Variant.values()) {
            Lat t = latency.get(Client.TEARDOWN + "/" + v.label);
            if (t != null && !Double.isNaN(t.closeAllocMedian())) {
                lines.add(String.format(Locale.ROOT, "  %-44s %8.0f B  %s (median close; mean %.1f B)",
                        "0 bytes allocated per close, " + v.label, t.closeAllocMedian(),
                        t.closeAllocMedian() == 0 ? "met" : "MISSED", t.closeAllocBytes()));
            }
        }
        Map<String, String> base = load.get("client-first");
        if (base != null) {
            double baseRate = Double.parseDouble(base.get("steady_conns_per_sec"));
            for (Map.Entry<String, Map<String, String>> e : load.entrySet()) {
                if (e.getKey().equals("client-first") || e.getKey().contains("wide")) {
                    continue;
                }
                double rate = Double.parseDouble(e.getValue().get("steady_conns_per_sec"));
                boolean ok = rate >= 2 * baseRate && "0".equals(e.getValue().get("eaddrnotavail"));
                lines.add(check("strategy " + e.getKey() + " >= 2x default client-first, no EADDRNOTAVAIL",
                        rate / Math.max(1, baseRate), ok));
            }
        }
        if (!lines.isEmpty()) {
            b.append("Targets (issue 5; ratios from this run)\n");
            lines.forEach(l -> b.append(l).append('\n'));
        }
    }

    private static String check(String what, double ratio, boolean ok) {
        return String.format(Locale.ROOT, "  %-44s %8.3fx  %s", what, ratio, Double.isNaN(ratio) ? "n/a" : ok ? "met" : "MISSED");
    }

    static double medianRate(List<ChurnIt> churn, String client, Variant v, boolean x) {
        return median(select(churn, client, v, x, ChurnIt::rate));
    }

    private static String aux(List<ChurnIt> churn, String client, Variant v, boolean x) {
        List<Double> tw = select(churn, client, v, x, i -> i.timeWaitPerOp() + i.twRecycledPerOp());
        List<Double> rst = select(churn, client, v, x, ChurnIt::rstPerOp);
        if (tw.isEmpty()) {
            return "";
        }
        return String.format(Locale.ROOT, "%9.2f %9.3f", median(tw), median(rst));
    }

    private static String sum(List<ChurnIt> churn, String client, Variant v, boolean x) {
        List<Double> e = select(churn, client, v, x, ChurnIt::eaddrnotavail);
        if (e.isEmpty()) {
            return "-";
        }
        double s = 0;
        for (double d : e) {
            s += Double.isNaN(d) ? 0 : d;
        }
        return Long.toString((long) s);
    }

    private static List<Double> select(List<ChurnIt> churn, String client, Variant v, boolean x,
            ToDoubleFunction<ChurnIt> f) {
        List<Double> out = new ArrayList<>();
        for (ChurnIt i : churn) {
            if (i.client().equals(client) && i.variant().equals(v.label) && i.exchange() == x) {
                out.add(f.applyAsDouble(i));
            }
        }
        return out;
    }

    static double median(List<Double> values) {
        List<Double> v = new ArrayList<>();
        for (Double d : values) {
            if (d != null && !Double.isNaN(d)) {
                v.add(d);
            }
        }
        if (v.isEmpty()) {
            return Double.NaN;
        }
        Collections.sort(v);
        int n = v.size();
        return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
    }

    private static String lat(Lat l) {
        if (l == null) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.0f / %.0f / %.0f", l.mean(), l.p50(), l.p99());
    }

    private static String ratio(Lat a, Lat b, ToDoubleFunction<Lat> f) {
        if (a == null || b == null) {
            return "-";
        }
        return r(f.applyAsDouble(a), f.applyAsDouble(b));
    }

    private static String r(double a, double b) {
        if (Double.isNaN(a) || Double.isNaN(b) || b == 0) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.3f", a / b);
    }

    private static String n0(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.0f", v);
    }

    private static String num(Lat l, ToDoubleFunction<Lat> f) {
        if (l == null) {
            return "-";
        }
        double v = f.applyAsDouble(l);
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f", v);
    }
}
