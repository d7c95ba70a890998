package dev.teardown.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The echo benchmark: per round, for each client count and thread kind, every server implementation once (a fresh
 * {@link EchoServer} JVM each) against the C {@code echo-load}, the order of implementations reversed every other
 * round so ratios pair neighbours in time. Reports round trips per second: medians, and paired ratios (the median
 * over rounds of each round's teardown/JDK ratio).
 */
final class EchoBench {
    record Run(int round, int clients, String threads, String impl, double rate, double errors, double minConnRtts) {}

    static final List<String> IMPLS = List.of(EchoServer.TEARDOWN, EchoServer.JDK_SOCKET, EchoServer.JDK_CHANNEL);

    private final List<Integer> clients;
    private final List<String> threadKinds;
    private final int rounds;
    private final double warmup;
    private final double duration;
    private final PrintStream out;
    final List<Run> runs = new ArrayList<>();
    final List<String> failures = new ArrayList<>();

    EchoBench(List<Integer> clients, List<String> threadKinds, int rounds, double warmup, double duration, PrintStream out) {
        this.clients = clients;
        this.threadKinds = threadKinds;
        this.rounds = rounds;
        this.warmup = warmup;
        this.duration = duration;
        this.out = out;
    }

    void run() throws InterruptedException {
        for (int round = 1; round <= rounds; round++) {
            List<String> order = new ArrayList<>(IMPLS);
            if (round % 2 == 0) {
                Collections.reverse(order);
            }
            for (int n : clients) {
                for (String threads : threadKinds) {
                    for (String impl : order) {
                        out.printf(Locale.ROOT, "echo     %-11s %-8s clients=%-5d round %d  ", impl, threads, n, round);
                        try {
                            Map<String, String> m = once(impl, threads, n);
                            Run r = new Run(round, n, threads, impl, CRunner.num(m, "rtt_per_sec"), CRunner.num(m, "errors"),
                                    CRunner.num(m, "min_conn_rtts"));
                            runs.add(r);
                            out.printf(Locale.ROOT, "%9.0f round trips/s%s%n", r.rate(),
                                    r.errors() > 0 ? " (" + (long) r.errors() + " clients failed)" : "");
                        } catch (IOException e) {
                            failures.add("echo " + impl + " " + threads + " clients=" + n + ": " + e.getMessage());
                            out.println("failed: " + e.getMessage());
                        }
                    }
                }
            }
        }
    }

    /** One server JVM, one echo-load run against it. */
    private Map<String, String> once(String impl, String threads, int n) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(ParkingBench.serverJava());
        cmd.addAll(List.of(EchoServer.class.getName(), impl, threads));
        Process server = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.US_ASCII));
            String line = r.readLine();
            if (line == null || !line.startsWith("LISTENING ")) {
                throw new IOException("EchoServer printed " + line + " instead of LISTENING <port>");
            }
            List<String> load = List.of(Bins.echoLoad(), "--port", line.substring(10).trim(), "--clients",
                    Integer.toString(n), "--warmup", Double.toString(warmup), "--duration", Double.toString(duration));
            return CRunner.result(load);
        } finally {
            server.getOutputStream().close(); // the server exits when its stdin closes
            if (!server.waitFor(10, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
        }
    }

    /** The table: per client count and thread kind, median rate per implementation and the paired ratios. */
    String table() {
        StringBuilder b = new StringBuilder();
        b.append("Echo round trips/s (32-byte messages, one in flight per client; C echo-load in its own process)\n");
        b.append("median over ").append(rounds).append(rounds == 1 ? " round" : " rounds")
                .append("; td/x = median over rounds of the round's teardown/x ratio\n");
        String fmt = "%-8s %-9s %12s %12s %12s %9s %9s  %s%n";
        b.append(String.format(Locale.ROOT, fmt, "clients", "threads", "teardown", "jdk-socket", "jdk-channel", "td/socket",
                "td/chan", "per-round td/socket"));
        for (int n : clients) {
            for (String threads : threadKinds) {
                Map<String, Double> med = new LinkedHashMap<>();
                for (String impl : IMPLS) {
                    med.put(impl, Tables.median(rates(n, threads, impl)));
                }
                List<Double> rs = ratios(n, threads, EchoServer.JDK_SOCKET);
                List<Double> rc = ratios(n, threads, EchoServer.JDK_CHANNEL);
                StringBuilder per = new StringBuilder();
                for (double x : rs) {
                    per.append(per.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.2f", x));
                }
                b.append(String.format(Locale.ROOT, fmt, n, threads, rate(med.get(EchoServer.TEARDOWN)),
                        rate(med.get(EchoServer.JDK_SOCKET)), rate(med.get(EchoServer.JDK_CHANNEL)),
                        ratio(Tables.median(rs)), ratio(Tables.median(rc)), per));
            }
        }
        return b.toString();
    }

    List<Double> rates(int n, String threads, String impl) {
        List<Double> l = new ArrayList<>();
        for (Run r : runs) {
            if (r.clients() == n && r.threads().equals(threads) && r.impl().equals(impl)) {
                l.add(r.rate());
            }
        }
        return l;
    }

    /** Per round, teardown's rate over {@code other}'s. */
    List<Double> ratios(int n, String threads, String other) {
        List<Double> l = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            Double td = null;
            Double x = null;
            for (Run r : runs) {
                if (r.round() == round && r.clients() == n && r.threads().equals(threads)) {
                    if (r.impl().equals(EchoServer.TEARDOWN)) {
                        td = r.rate();
                    } else if (r.impl().equals(other)) {
                        x = r.rate();
                    }
                }
            }
            if (td != null && x != null && x > 0) {
                l.add(td / x);
            }
        }
        return l;
    }

    static String rate(double r) {
        return Double.isNaN(r) ? "-" : String.format(Locale.ROOT, "%.0f", r);
    }

    static String ratio(double r) {
        return Double.isNaN(r) ? "-" : String.format(Locale.ROOT, "%.3f", r);
    }

    String csv() {
        StringBuilder b = new StringBuilder("round,clients,threads,impl,rtt_per_sec,errors,min_conn_rtts\n");
        for (Run r : runs) {
            b.append(String.format(Locale.ROOT, "%d,%d,%s,%s,%.0f,%.0f,%.0f%n", r.round(), r.clients(), r.threads(), r.impl(),
                    r.rate(), r.errors(), r.minConnRtts()));
        }
        return b.toString();
    }
}
