package dev.teardown.agent;

import dev.teardown.agent.testing.AppJvm;
import dev.teardown.agent.testing.Reader;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * CI smoke of benchmarks/agent/AlternatingChurn.java, the harness behind the agent's cost in AGENT-RESULTS.md, so that
 * it cannot rot: two pairs of short windows, without and with the agent, each JVM in its own network namespace.
 */
class AlternatingChurnSmokeTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void theHarnessAlternatesTwoJvmsAndReportsTheirRatio() throws Exception {
        Path bin = ROOT.resolve("native/target/bin");
        assumeTrue(Files.isExecutable(bin.resolve("accept-close-listener")),
                "AlternatingChurnSmokeTest skipped: native/target/bin is not built (the full build makes it)");
        assumeTrue(run(List.of("unshare", "-n", "true"), 10, Path.of("/dev/null")).exitValue() == 0,
                "AlternatingChurnSmokeTest skipped: unshare -n needs root (CI runs as root)");
        Path log = Files.createTempFile("alternating-churn", ".log");
        try {
            Process p = run(List.of(AppJvm.java(), "benchmarks/agent/AlternatingChurn.java", bin.toString(), "2", "100",
                    "--", "--", "-javaagent:" + Reader.jar()), 120, log);
            String out = Files.readString(log, StandardCharsets.UTF_8);
            assertTrue(p.exitValue() == 0, out);
            check(out);
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static void check(String out) {
        Matcher m = Pattern.compile("median over 2 pairs of 100 ms windows: A (\\d+) conn/s, B (\\d+) conn/s; "
                + "B/A throughput ([0-9.]+)").matcher(out);
        assertTrue(m.find(), out);
        assertTrue(Long.parseLong(m.group(1)) > 0 && Long.parseLong(m.group(2)) > 0, out);
        assertTrue(out.lines().filter(l -> l.startsWith("pair ")).count() == 2, out);
    }

    private static Process run(List<String> cmd, int seconds, Path output) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(ROOT.toFile()).redirectErrorStream(true)
                .redirectOutput(output.toFile()).start();
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("still running after " + seconds + " s: " + cmd);
        }
        return p;
    }
}
