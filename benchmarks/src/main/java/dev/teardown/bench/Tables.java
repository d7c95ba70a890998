package dev.teardown.bench;

import dev.teardown.bench.Driver.ChurnIt;
import dev.teardown.bench.Driver.Lat;
import dev.teardown.bench.Driver.LatRun;
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

    static String render(Profile p, Map<String, Lat> latency, List<LatRun> runs, List<ChurnIt> churn,
            Map<String, Map<String, String>> load) {
        StringBuilder b = new StringBuilder();
        if (!latency.isEmpty()) {
            latencyTable(b, p, latency, runs, churn);
            allocTable(b, latency, churn);
        }
        if (!churn.isEmpty()) {
            churnTable(b, p, churn);
        }
        if (!load.isEmpty()) {
            loadTable(b, load);
        }
        targets(b, latency, runs, churn, load);
        return b.toString();
    }

    private static void latencyTable(StringBuilder b, Profile p, Map<String, Lat> latency, List<LatRun> runs,
            List<ChurnIt> churn) {
        b.append("Close path alone, ns: mean / p50 / p99, median over " + p.latRounds + (p.latRounds == 1 ? " round" : " rounds")
                + " (teardown, jdk-*: JMH SampleTime; c: close-path loop; set-up untimed)\n"
                + "c-churn: churn's close_ns_mean (no exchange; server-first: close_call_ns_mean, the close alone).\n"
                + "Ratios are paired: the median over rounds of each round's ratio.\n");
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
                    f3(paired(runs, Client.TEARDOWN, Client.C, v, Lat::mean)),
                    f3(paired(runs, Client.TEARDOWN, Client.C, v, Lat::p50)), td == null ? "-" : r(td.mean(), cc),
                    f3(paired(runs, Client.TEARDOWN, Client.CHANNEL, v, Lat::mean)),
                    f3(paired(runs, Client.TEARDOWN, Client.SOCKET, v, Lat::mean))));
        }
        b.append('\n');
    }

    /** Median over rounds of f(a) / f(b) for one mode, using only rounds where both ran. */
    static double paired(List<LatRun> runs, String a, String b, Variant v, ToDoubleFunction<Lat> f) {
        List<Double> ratios = new ArrayList<>();
        for (LatRun x : runs) {
            if (!x.lat().client().equals(a) || !x.lat().mode().equals(v.label)) {
                continue;
            }
            for (LatRun y : runs) {
                if (y.round() == x.round() && y.lat().client().equals(b) && y.lat().mode().equals(v.label)) {
                    ratios.add(f.applyAsDouble(x.lat()) / f.applyAsDouble(y.lat()));
                }
            }
        }
        return median(ratios);
    }

    /** Median over churn rounds of (median rate of a in the round) / (median rate of b in the round). */
    static double pairedRate(List<ChurnIt> churn, String a, String b, Variant v, boolean x) {
        java.util.Set<Integer> rounds = new java.util.TreeSet<>();
        churn.forEach(i -> rounds.add(i.round()));
        List<Double> ratios = new ArrayList<>();
        for (int r : rounds) {
            double ra = median(select(churn, a, v, x, i -> i.round() == r ? i.rate() : Double.NaN));
            double rb = median(select(churn, b, v, x, i -> i.round() == r ? i.rate() : Double.NaN));
            if (!Double.isNaN(ra) && !Double.isNaN(rb)) {
                ratios.add(ra / rb);
            }
        }
        return median(ratios);
    }

    private static String f3(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.3f", v);
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
                .append(" x iterations), one client thread, the shared C listener; ratios paired by round\n");
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
                        x ? "1B" : "-", n0(td), n0(c), n0(ch), n0(so), f3(pairedRate(churn, Client.TEARDOWN, Client.C, v, x)),
                        f3(pairedRate(churn, Client.TEARDOWN, Client.CHANNEL, v, x)),
                        f3(pairedRate(churn, Client.TEARDOWN, Client.SOCKET, v, x)),
                        aux(churn, Client.TEARDOWN, v, x), aux(churn, Client.C, v, x),
                        sum(churn, Client.TEARDOWN, v, x) + "/" + sum(churn, Client.C, v, x) + "/"
                                + sum(churn, Client.CHANNEL, v, x) + "/" + sum(churn, Client.SOCKET, v, x)));
            }
        }
        b.append("td/c etc.: paired ratios (median over rounds of the round's ratio of medians)\n");
        b.append("TW/op: TIME_WAIT entries left per connection (change of TcpTable's count + entries recycled by"
                + " tcp_tw_reuse); RST/op: Tcp OutRsts of the namespace (either side) per connection\n\n");
    }

    private static void loadTable(StringBuilder b, Map<String, Map<String, String>> load) {
        b.append("TIME_WAIT under load (teardown clients, each run in a fresh namespace; median over rounds,"
                + " EADDRNOTAVAIL summed)\n");
        String fmt = "%-24s %-13s %7s %8s %8s %-13s %8s %13s  %s%n";
        b.append(String.format(Locale.ROOT, fmt, "strategy", "variant", "threads", "mean/s", "steady/s", "per round",
                "max TW", "EADDRNOTAVAIL", "settings"));
        for (Map.Entry<String, Map<String, String>> e : load.entrySet()) {
            Map<String, String> m = e.getValue();
            b.append(String.format(Locale.ROOT, fmt, e.getKey(), m.get("variant"), m.get("threads"),
                    m.get("mean_conns_per_sec"), m.get("steady_conns_per_sec"), m.get("steady_per_round"),
                    m.get("max_time_wait"), m.get("eaddrnotavail"), m.get("sysctls")));
        }
        b.append("steady/s: connections/s over the second half of a run (when the port range has come round)\n\n");
    }

    private static void targets(StringBuilder b, Map<String, Lat> latency, List<LatRun> runs, List<ChurnIt> churn,
            Map<String, Map<String, String>> load) {
        List<String> lines = new ArrayList<>();
        for (boolean x : new boolean[] {false, true}) {
            String ex = x ? " (1-byte exchange)" : "";
            double tdc = pairedRate(churn, Client.TEARDOWN, Client.C, Variant.CLIENT_FIRST, x);
            double tdch = pairedRate(churn, Client.TEARDOWN, Client.CHANNEL, Variant.CLIENT_FIRST, x);
            double tda = pairedRate(churn, Client.TEARDOWN, Client.C, Variant.ABORT, x);
            if (!Double.isNaN(tdc)) {
                lines.add(check("churn client-first >= 0.97x C" + ex, tdc, tdc >= 0.97));
            }
            if (!Double.isNaN(tdch)) {
                lines.add(check("churn client-first >= 1.05x jdk-channel" + ex, tdch, tdch >= 1.05));
            }
            if (!Double.isNaN(tda)) {
                lines.add(check("churn abort >= 0.95x C" + ex, tda, tda >= 0.95));
            }
        }
        for (Variant v : new Variant[] {Variant.CLIENT_FIRST, Variant.ABORT, Variant.SHUTDOWN}) {
            double r = paired(runs, Client.TEARDOWN, Client.C, v, Lat::mean);
            if (!Double.isNaN(r)) {
                lines.add(check("close-path mean " + v.label + " <= 1.05x C", r, r <= 1.05));
            }
        }
        for (Variant v : Variant.values()) {
            Lat t = latency.get(Client.TEARDOWN + "/" + v.label);
            if (t != null && !Double.isNaN(t.closeAllocMedian())) {
                lines.add(String.format(Locale.ROOT, "  %-58s %8.0f B  %s (median close; mean %.1f B)",
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
        return String.format(Locale.ROOT, "  %-58s %8.3fx  %s", what, ratio, Double.isNaN(ratio) ? "n/a" : ok ? "met" : "MISSED");
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
