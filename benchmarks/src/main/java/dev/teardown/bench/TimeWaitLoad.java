package dev.teardown.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * TIME_WAIT churn under load: N teardown client threads connect and close as fast as they can for T seconds
 * against the shared C listener, while a sampler reads the namespace's TIME_WAIT count (teardown's
 * {@code TcpTable.counts()}) and the connections completed, once a second. Meant to run alone in a fresh
 * network namespace (the driver starts it under {@code unshare -n}), with the sysctls of one strategy, which
 * it writes itself ({@code --sysctl name=value}, as root in that namespace).
 *
 * <pre>
 * TimeWaitLoad --strategy NAME --variant client-first|server-first|abort|shutdown --threads N --seconds T
 *              [--sysctl net.ipv4.tcp_tw_reuse=0 ...] [--csv FILE] [--round N]
 * </pre>
 *
 * stdout: {@code SETTINGS ...}, one {@code SAMPLE strategy=.. second=.. time_wait=.. conns_per_sec=..
 * eaddrnotavail=.. errors=..} per second, then {@code SUMMARY ...}. The CSV gets the samples as
 * {@code strategy,round,second,time_wait,conns_per_sec,eaddrnotavail,errors} (totals so far for the last two).
 */
public final class TimeWaitLoad {
    private TimeWaitLoad() {}

    public static void main(String[] args) throws Exception {
        String strategy = "client-first";
        Variant variant = Variant.CLIENT_FIRST;
        int threads = 2;
        int round = 1;
        double seconds = 10;
        Path csv = null;
        Map<String, String> sysctls = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--strategy": strategy = v; i++; break;
                case "--variant": variant = Variant.of(v); i++; break;
                case "--threads": threads = Integer.parseInt(v); i++; break;
                case "--round": round = Integer.parseInt(v); i++; break;
                case "--seconds": seconds = Double.parseDouble(v); i++; break;
                case "--csv": csv = Paths.get(v); i++; break;
                case "--sysctl": {
                    int eq = v.indexOf('=');
                    sysctls.put(v.substring(0, eq), v.substring(eq + 1));
                    i++;
                    break;
                }
                default:
                    throw new IllegalArgumentException("unknown argument " + a);
            }
        }
        for (Map.Entry<String, String> s : sysctls.entrySet()) {
            Path p = Paths.get("/proc/sys/" + s.getKey().replace('.', '/'));
            Files.writeString(p, s.getValue(), StandardCharsets.US_ASCII);
        }
        System.out.println("SETTINGS strategy=" + strategy + " variant=" + variant.label + " threads=" + threads
                + " seconds=" + seconds + " netns=" + Kernel.netns() + " " + Kernel.settings());
        List<String[]> rows = run(strategy, variant, threads, seconds);
        if (csv != null) {
            boolean header = !Files.exists(csv) || Files.size(csv) == 0;
            try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(csv, StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND))) {
                if (header) {
                    w.println("strategy,round,second,time_wait,conns_per_sec,eaddrnotavail,errors");
                }
                for (String[] r : rows) {
                    w.println(r[0] + "," + round + "," + String.join(",", java.util.Arrays.copyOfRange(r, 1, r.length)));
                }
            }
        }
    }

    static List<String[]> run(String strategy, Variant variant, int threads, double seconds) throws Exception {
        LongAdder conns = new LongAdder();
        LongAdder notAvail = new LongAdder();
        LongAdder errors = new LongAdder();
        AtomicBoolean stop = new AtomicBoolean();
        List<String[]> rows = new ArrayList<>();
        try (Listener listener = Listener.start(variant.listener(false))) {
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Thread th = new Thread(() -> {
                    Client c = Client.create(Client.TEARDOWN);
                    while (!stop.get()) {
                        try {
                            c.connect(listener.address());
                            if (variant == Variant.SERVER_FIRST) {
                                c.readToEof();
                            }
                            c.close(variant);
                            conns.increment();
                        } catch (IOException e) {
                            c.abandon();
                            (Client.isAddressNotAvailable(e) ? notAvail : errors).increment();
                        }
                    }
                }, "churn-" + t);
                ts.add(th);
            }
            long start = System.nanoTime();
            ts.forEach(Thread::start);
            long last = 0;
            int maxTw = 0;
            long total = (long) Math.ceil(seconds);
            double sum = 0;
            for (long s = 1; s <= total; s++) {
                long wake = start + s * 1_000_000_000L;
                for (long left; (left = wake - System.nanoTime()) > 0;) {
                    Thread.sleep(Math.max(1, left / 1_000_000), 0);
                }
                long c = conns.sum();
                int tw = Kernel.timeWait();
                maxTw = Math.max(maxTw, tw);
                long rate = c - last;
                last = c;
                sum += rate;
                String[] row = {strategy, Long.toString(s), Integer.toString(tw), Long.toString(rate),
                        Long.toString(notAvail.sum()), Long.toString(errors.sum())};
                rows.add(row);
                System.out.println("SAMPLE strategy=" + strategy + " second=" + s + " time_wait=" + tw + " conns_per_sec="
                        + rate + " eaddrnotavail=" + notAvail.sum() + " errors=" + errors.sum());
            }
            stop.set(true);
            for (Thread th : ts) {
                th.join(10_000);
            }
            // steady state: the second half of the run, when the port range has come round
            double steady = 0;
            int n = 0;
            for (int i = rows.size() / 2; i < rows.size(); i++) {
                steady += Long.parseLong(rows.get(i)[3]);
                n++;
            }
            System.out.println(String.format(Locale.ROOT,
                    "SUMMARY strategy=%s variant=%s threads=%d seconds=%d conns=%d mean_conns_per_sec=%.0f"
                            + " steady_conns_per_sec=%.0f max_time_wait=%d eaddrnotavail=%d errors=%d listener=%s",
                    strategy, variant.label, threads, total, conns.sum(), sum / Math.max(1, total),
                    n == 0 ? 0.0 : steady / n, maxTw, notAvail.sum(), errors.sum(), listener.stop().replace(' ', ';')));
        }
        return rows;
    }
}
