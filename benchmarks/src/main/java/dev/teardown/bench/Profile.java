package dev.teardown.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** How much of the suite a run covers, and for how long: quick (default), full, smoke (CI). */
final class Profile {
    final String name;
    /** JMH forks per benchmark; 0 runs in the driver's JVM (smoke only). */
    int forks = 1;
    int latWarmups;
    int latWarmupMs;
    int latIterations;
    int latIterationMs;
    /** Latency rounds: every client and C once per round, interleaved, so ratios pair neighbours in time. */
    int latRounds = 1;
    /** close-path seconds per mode (0: use cCount connections). */
    double cLatencySeconds;
    long cCount;
    final Map<String, List<Variant>> latency = new LinkedHashMap<>();

    int rounds = 1;
    int churnWarmups;
    int churnWarmupMs;
    int churnIterations;
    int churnIterationMs;
    final Map<String, List<Variant>> churn = new LinkedHashMap<>();
    final List<Boolean> exchanges = new ArrayList<>();

    /** TIME_WAIT under load: strategies to run (empty: none), client threads, seconds each. */
    final List<Strategy> strategies = new ArrayList<>();
    int loadThreads = 2;
    double loadSeconds;
    int loadRounds = 1;
    boolean plots;
    boolean gcProfiler = true;

    private Profile(String name) {
        this.name = name;
    }

    static Profile of(String name) {
        Profile p = new Profile(name);
        List<Variant> all = List.of(Variant.values());
        List<Variant> jdkLatency = List.of(Variant.CLIENT_FIRST, Variant.SERVER_FIRST, Variant.ABORT, Variant.GRACEFUL,
                Variant.LINGER);
        List<Variant> tdChurn = List.of(Variant.CLIENT_FIRST, Variant.SERVER_FIRST, Variant.ABORT, Variant.GRACEFUL,
                Variant.SHUTDOWN);
        List<Variant> jdkChurn = List.of(Variant.CLIENT_FIRST, Variant.SERVER_FIRST, Variant.ABORT, Variant.GRACEFUL);
        switch (name) {
            case "quick": {
                List<Variant> lat = List.of(Variant.CLIENT_FIRST, Variant.SERVER_FIRST, Variant.SHUTDOWN, Variant.ABORT);
                p.latency.put(Client.TEARDOWN, lat);
                p.latency.put(Client.CHANNEL, List.of(Variant.CLIENT_FIRST, Variant.SERVER_FIRST, Variant.ABORT));
                p.latency.put(Client.SOCKET, List.of(Variant.CLIENT_FIRST, Variant.SERVER_FIRST, Variant.ABORT));
                p.latWarmups = 2;
                p.latWarmupMs = 500;
                p.latIterations = 3;
                p.latIterationMs = 500;
                p.cLatencySeconds = 1.5;
                List<Variant> ch = List.of(Variant.CLIENT_FIRST, Variant.SERVER_FIRST, Variant.ABORT);
                p.churn.put(Client.TEARDOWN, ch);
                p.churn.put(Client.CHANNEL, ch);
                p.churn.put(Client.SOCKET, ch);
                p.churn.put(Client.C, ch);
                p.exchanges.add(false);
                p.churnWarmups = 2;
                p.churnWarmupMs = 500;
                p.churnIterations = 3;
                p.churnIterationMs = 1000;
                break;
            }
            case "full": {
                p.latency.put(Client.TEARDOWN, all);
                p.latency.put(Client.CHANNEL, jdkLatency);
                p.latency.put(Client.SOCKET, jdkLatency);
                p.latRounds = 3;
                p.latWarmups = 2;
                p.latWarmupMs = 500;
                p.latIterations = 2;
                p.latIterationMs = 1000;
                p.cLatencySeconds = 2;
                p.churn.put(Client.TEARDOWN, tdChurn);
                p.churn.put(Client.CHANNEL, jdkChurn);
                p.churn.put(Client.SOCKET, jdkChurn);
                p.churn.put(Client.C, jdkChurn);
                p.exchanges.add(false);
                p.exchanges.add(true);
                p.rounds = 4;
                p.churnWarmups = 2;
                p.churnWarmupMs = 500;
                p.churnIterations = 2;
                p.churnIterationMs = 1000;
                p.strategies.addAll(Strategy.ALL);
                p.loadThreads = 2;
                p.loadSeconds = 15;
                p.loadRounds = 2;
                p.plots = true;
                break;
            }
            case "smoke": {
                p.forks = 0;
                p.latency.put(Client.TEARDOWN, all);
                p.latency.put(Client.CHANNEL, jdkLatency);
                p.latency.put(Client.SOCKET, jdkLatency);
                p.latWarmups = 0;
                p.latIterations = 1;
                p.latIterationMs = 100;
                p.cCount = 100;
                p.churn.put(Client.TEARDOWN, tdChurn);
                p.churn.put(Client.CHANNEL, jdkChurn);
                p.churn.put(Client.SOCKET, jdkChurn);
                p.churn.put(Client.C, jdkChurn);
                p.exchanges.add(false);
                p.exchanges.add(true);
                p.churnWarmups = 0;
                p.churnIterations = 1;
                p.churnIterationMs = 100;
                p.strategies.add(Strategy.ALL.get(0));
                p.strategies.add(Strategy.ALL.get(4));
                p.loadThreads = 2;
                p.loadSeconds = 2;
                p.plots = true;
                break;
            }
            case "exchange":
            case "exchange-quick":
            case "exchange-smoke": {
                // churn with the 1-byte exchange only (the parking benchmarks, ParkingBench): teardown vs C and the channel
                List<Variant> ch = List.of(Variant.CLIENT_FIRST, Variant.ABORT);
                p.churn.put(Client.TEARDOWN, ch);
                p.churn.put(Client.C, ch);
                p.churn.put(Client.CHANNEL, ch);
                p.exchanges.add(true);
                boolean full = name.equals("exchange");
                boolean smoke = name.equals("exchange-smoke");
                p.forks = smoke ? 0 : 1;
                p.rounds = full ? 4 : 1;
                p.churnWarmups = smoke ? 0 : 2;
                p.churnWarmupMs = 500;
                p.churnIterations = smoke ? 1 : 2;
                p.churnIterationMs = smoke ? 100 : full ? 1000 : 500;
                break;
            }
            default:
                throw new IllegalArgumentException("unknown profile '" + name + "': use quick, full or smoke");
        }
        return p;
    }

    /** One TIME_WAIT-under-load strategy: a close variant and the sysctls of its fresh namespace. */
    static final class Strategy {
        final String name;
        final Variant variant;
        final Map<String, String> sysctls = new LinkedHashMap<>();
        final String description;

        Strategy(String name, Variant variant, String reuse, String range, String description) {
            this(name, variant, reuse, "1000", range, description);
        }

        Strategy(String name, Variant variant, String reuse, String reuseDelayMs, String range, String description) {
            this.name = name;
            this.variant = variant;
            this.description = description;
            sysctls.put("net.ipv4.ip_local_port_range", range);
            sysctls.put("net.ipv4.tcp_tw_reuse", reuse);
            sysctls.put("net.ipv4.tcp_tw_reuse_delay", reuseDelayMs);
            sysctls.put("net.ipv4.tcp_timestamps", "1");
        }

        static final String DEFAULT_RANGE = "32768 60999";

        static final List<Strategy> ALL = List.of(
                new Strategy("client-first", Variant.CLIENT_FIRST, "2", DEFAULT_RANGE,
                        "RELEASE, client closes first; kernel defaults (tcp_tw_reuse=2: loopback only)"),
                new Strategy("client-first-reuse-off", Variant.CLIENT_FIRST, "0", DEFAULT_RANGE,
                        "RELEASE, client closes first; tcp_tw_reuse=0"),
                new Strategy("client-first-reuse-on", Variant.CLIENT_FIRST, "1", DEFAULT_RANGE,
                        "RELEASE, client closes first; tcp_tw_reuse=1"),
                new Strategy("server-first", Variant.SERVER_FIRST, "2", DEFAULT_RANGE,
                        "server closes first (TIME_WAIT on the server), client reads EOF then RELEASE"),
                new Strategy("abort", Variant.ABORT, "2", DEFAULT_RANGE,
                        "ABORT: RST, no TIME_WAIT"),
                new Strategy("client-first-reuse-100ms", Variant.CLIENT_FIRST, "1", "100", DEFAULT_RANGE,
                        "RELEASE, client closes first; tcp_tw_reuse=1 with tcp_tw_reuse_delay=100 ms"),
                new Strategy("client-first-wide-range", Variant.CLIENT_FIRST, "1", "1024 65535",
                        "reference: RELEASE client-first with the benchmark settings (1024-65535, tcp_tw_reuse=1)"));
    }
}
