package dev.teardown.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * CI smoke of the whole suite, so it cannot rot: every JMH benchmark (each class and parameter, in process, one
 * 100 ms iteration, no warm-up), the C churn and close-path runs, the TIME_WAIT-under-load runner and the plots,
 * through the same driver as {@code ./teardown bench} ({@code Main smoke}) in a child JVM. It checks that each
 * ran and produced a result, never a number. As root the driver runs in a private network namespace; otherwise
 * it runs in this one and skips the part that needs namespaces, and this test says so.
 */
class BenchmarkSmokeTest {
    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void everyBenchmarkRunsAndProducesAResult(@TempDir Path out) throws Exception {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m"));
        for (String prop : new String[] {"teardown.native.bin", "teardown.bench.bin"}) {
            if (System.getProperty(prop) != null) {
                cmd.add("-D" + prop + "=" + System.getProperty(prop));
            }
        }
        cmd.addAll(List.of("-cp", cp, Main.class.getName(), "smoke", "--out", out.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        StringBuilder log = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null;) {
                System.out.println("[bench smoke] " + line);
                log.append(line).append('\n');
            }
        }
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "driver did not exit");
        String text = log.toString();
        assertEquals(0, p.exitValue(), "Main smoke failed; its output is above");

        Profile profile = Profile.of("smoke");
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, List<Variant>> e : profile.latency.entrySet()) {
            for (Variant v : e.getValue()) {
                expect(text, "SMOKE ok latency " + latencyClass(e.getKey()) + " mode=" + v.label + " ", missing);
                expect(text, "SMOKE ok close-path mode=" + v.label + " ", missing);
            }
        }
        for (Map.Entry<String, List<Variant>> e : profile.churn.entrySet()) {
            for (Variant v : e.getValue()) {
                for (boolean x : profile.exchanges) {
                    String who = e.getKey().equals(Client.C) ? "c" : churnClass(e.getKey());
                    expect(text, "SMOKE ok churn " + who + " variant=" + v.label + " exchange=" + x + " ", missing);
                }
            }
        }
        expect(text, "SMOKE ok plots 3", missing);
        if (text.contains("TIME_WAIT under load: skipped")) {
            System.out.println("[bench smoke] the TIME_WAIT-under-load part was skipped (it needs root for its private"
                    + " network namespaces); everything else ran");
        } else {
            for (Profile.Strategy s : profile.strategies) {
                expect(text, "SMOKE ok timewait-load strategy=" + s.name + " ", missing);
            }
        }
        assertTrue(missing.isEmpty(), "no result from: " + missing);
        assertTrue(Files.exists(out.resolve("latency.csv")) && Files.exists(out.resolve("churn.csv")), "CSV written");
    }

    /**
     * The parking benchmarks ({@code Main vthreads --smoke echo scale}: six tiny echo runs and 1,000 parked readers) on
     * the JDK 21+ that {@code ./teardown test} passes as {@code teardown.jdk21.home} (or this JVM if it is 21+); skipped
     * with the reason elsewhere. Churn with the exchange is already covered above.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void parkingBenchmarksRun(@TempDir Path out) throws Exception {
        String home = System.getProperty("teardown.jdk21.home", "");
        if (home.isEmpty() && Runtime.version().feature() >= 21) {
            home = System.getProperty("java.home");
        }
        Assumptions.assumeFalse(home.isEmpty() || !Files.isExecutable(Paths.get(home, "bin", "java")),
                "the parking benchmarks need a JDK 21+ (virtual threads): run ./teardown test, or -Dteardown.jdk21.home=<jdk>");
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(Paths.get(home, "bin", "java").toString(), "-Xmx512m"));
        for (String prop : new String[] {"teardown.native.bin", "teardown.bench.bin"}) {
            if (System.getProperty(prop) != null) {
                cmd.add("-D" + prop + "=" + System.getProperty(prop));
            }
        }
        cmd.addAll(List.of("-cp", cp, Main.class.getName(), "vthreads", "--smoke", "echo", "scale", "--out", out.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        StringBuilder log = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null;) {
                System.out.println("[vthreads smoke] " + line);
                log.append(line).append('\n');
            }
        }
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "driver did not exit");
        assertEquals(0, p.exitValue(), "Main vthreads --smoke failed; its output is above");
        List<String> missing = new ArrayList<>();
        for (String impl : EchoBench.IMPLS) {
            for (String threads : List.of("virtual", "platform")) {
                expect(log.toString(), "VTHREADS ok echo " + impl + " " + threads + " clients=16", missing);
            }
        }
        expect(log.toString(), "VTHREADS ok scale teardown conns=1000", missing);
        assertTrue(missing.isEmpty(), "no result from: " + missing);
        assertTrue(Files.exists(out.resolve("echo.csv")) && Files.exists(out.resolve("scale.csv")), "CSV written");
    }

    private static void expect(String text, String line, List<String> missing) {
        if (!text.contains(line)) {
            missing.add(line.trim());
        }
    }

    private static String latencyClass(String client) {
        return client.equals(Client.TEARDOWN) ? "TeardownClose" : client.equals(Client.CHANNEL) ? "ChannelClose" : "SocketClose";
    }

    private static String churnClass(String client) {
        return client.equals(Client.TEARDOWN) ? "TeardownChurn" : client.equals(Client.CHANNEL) ? "ChannelChurn" : "SocketChurn";
    }
}
