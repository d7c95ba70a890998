package dev.teardown.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every constant in {@code posix/} against this platform's C headers: {@code src/test/c/header_probe.c} is compiled
 * with gcc and run; a wrong value fails with the name and both values. Linux only (macOS values are compiled in,
 * unchecked); skipped with the reason where gcc is missing.
 */
class HeaderConstantsTest {
    private static List<String> probe;

    @BeforeAll
    static void compileAndRunTheProbe() throws Exception {
        Assumptions.assumeTrue(Os.LINUX, "the header check runs on Linux");
        Path src = Path.of("src/test/c");
        Path exe = Path.of("target/header-probe");
        Files.createDirectories(exe.getParent());
        String out = run(List.of("gcc", "-std=c11", "-Wall", "-Werror", "-o", exe.toString(),
                src.resolve("header_probe.c").toString(), src.resolve("header_probe_states.c").toString()), true);
        probe = List.of(run(List.of(exe.toAbsolutePath().toString()), false).split("\n"));
        assertTrue(probe.size() > 150, "the probe printed " + probe.size() + " lines: " + out);
    }

    private static String run(List<String> cmd, boolean gcc) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            Assumptions.assumeTrue(!gcc, "needs gcc (apt-get install gcc): " + e.getMessage());
            throw e;
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ":\n" + out);
        return out;
    }

    @Test
    void everyConstantMatchesTheHeaders() throws Exception {
        List<String> unchecked = new ArrayList<>();
        List<String> bad = HeaderCheck.mismatches(probe, HeaderCheck.javaConstants(), unchecked);
        unchecked.forEach(u -> System.out.println("header check: unchecked here: " + u));
        assertEquals(List.of(), bad, "constants that differ from the C headers");
    }

    @Test
    void aWrongConstantFailsWithItsNameAndBothValues() throws Exception {
        Map<String, Long> doctored = new TreeMap<>(HeaderCheck.javaConstants());
        doctored.put("Os.SO_LINGER", 14L);
        doctored.put("TcpInfoLayout.RTT", 72L);
        doctored.put("Os.SO_BOGUS", 99L);
        List<String> bad = HeaderCheck.mismatches(probe, doctored, new ArrayList<>());
        assertEquals(List.of(
                "Os.SO_LINGER: Java 14, C 13 (<sys/socket.h>)",
                "TcpInfoLayout.RTT: Java 72, C 68 (<linux/tcp.h>)",
                "Os.SO_BOGUS: Java 99, not checked: add it to src/test/c/header_probe.c (or, if no header has it,"
                        + " to HeaderCheck.NOT_IN_HEADERS with the reason)"), bad);
    }

    @Test
    void aBufferTooSmallForItsStructFails() throws Exception {
        Map<String, Long> doctored = new TreeMap<>(HeaderCheck.javaConstants());
        doctored.put("SpawnLibc.OPAQUE_SIZE", 100L);
        List<String> bad = HeaderCheck.mismatches(probe, doctored, new ArrayList<>());
        assertTrue(bad.contains("SpawnLibc.OPAQUE_SIZE: Java 100, C needs at least 336 (<spawn.h> sizeof(posix_spawnattr_t))"),
                bad.toString());
        assertTrue(bad.stream().allMatch(b -> b.startsWith("SpawnLibc.OPAQUE_SIZE: Java 100, C needs at least")), bad.toString());
    }
}
