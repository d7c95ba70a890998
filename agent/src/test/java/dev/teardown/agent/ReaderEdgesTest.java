package dev.teardown.agent;

import dev.teardown.agent.testing.AppJvm;
import dev.teardown.agent.testing.Reader;
import dev.teardown.agent.testing.Sources;
import dev.teardown.agent.testing.Ss;
import org.example.leaky.ExitsDuringReport;
import org.example.leaky.LeakyServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The agent's runtime jar on disk, a JVM that already carries another copy of the agent, a pid that goes away. */
class ReaderEdgesTest {
    private static final Path TMP = Path.of(System.getProperty("java.io.tmpdir"));

    @Test
    void everyJvmReusesOneRuntimeJarKeptInAPrivateDirectory() throws Exception {
        Path first;
        try (AppJvm a = AppJvm.start(LeakyServer.class, "-javaagent:" + Reader.jar());
                AppJvm b = AppJvm.start(LeakyServer.class, "-javaagent:" + Reader.jar())) {
            first = openRtJar(a.pid());
            assertNotNull(first, "pid " + a.pid() + " holds no teardown-agent-rt jar");
            assertEquals(first, openRtJar(b.pid()), "two JVMs with the same agent share one runtime jar");
            assertTrue(first.getFileName().toString().matches("teardown-agent-rt-[0-9a-f]{32}\\.jar"), first.toString());
            assertEquals(Set.of("OWNER_READ", "OWNER_WRITE", "OWNER_EXECUTE"), Files.getPosixFilePermissions(
                    first.getParent()).stream().map(Enum::name).collect(Collectors.toSet()), "a private directory");
        }
        try (AppJvm c = AppJvm.start(LeakyServer.class, "-javaagent:" + Reader.jar())) {
            assertEquals(first, openRtJar(c.pid()), "a later JVM reuses it");
        }
        // the temporary folder is shared with whatever else runs here: what is checked is where these JVMs' jar is
        assertEquals(TMP.resolve("teardown-agent-0").getParent(), first.getParent().getParent(), first.toString());
        assertTrue(first.getParent().getFileName().toString().matches("teardown-agent-\\d+"), first.toString());
        assertTrue(Files.isRegularFile(first), "kept for the next JVM with this version of the agent");
        try (Stream<Path> s = Files.list(first.getParent())) {
            assertEquals(List.of(), s.filter(p -> p.toString().endsWith(".tmp")).toList(), "no half-written copy");
        }
    }

    @Test
    void aJvmCarryingAnotherCopyOfTheAgentIsReadThroughIt(@TempDir Path dir) throws Exception {
        assumeTrue(Ss.available(), "needs ss (iproute2) as the independent observer");
        Path copy = Files.copy(Path.of(Reader.jar()), dir.resolve("another-teardown-agent.jar"));
        String frame = "org.example.leaky.LeakyServer.acceptLoop(LeakyServer.java:"
                + Sources.line(LeakyServer.class, "// LEAK") + ")";
        try (AppJvm app = AppJvm.start(LeakyServer.class, "-javaagent:" + copy)) {
            app.hangUp(2);
            assertEquals(2, Ss.awaitCloseWait(app.port(), 2), "ss: CLOSE_WAIT on the app's port");
            Reader.Result r = Reader.report("--pid", String.valueOf(app.pid()), "--attach", "--json");
            assertEquals(0, r.status(), r.err());
            Map<String, Object> report = Reports.parse(r.out());
            assertEquals("premain", ((Map<?, ?>) report.get("agent")).get("how"), "the copy loaded at start serves");
            assertEquals(2L, Reports.count(Reports.groupOpenedAt(report, frame)), r.out());
            Reader.Result text = Reader.report("--pid", String.valueOf(app.pid()));
            assertTrue(text.out().contains(" <- ") && !text.out().contains(" -> "), "accepted: inbound: " + text.out());
            assertFalse(app.stderr().contains("teardown-agent: not started"), app.stderr());
            assertTrue(app.isAlive());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"attach", "agent"})
    void aPidThatExitsDuringTheReportGetsOneLine(String when) throws Exception {
        // the target exits by itself at a point of the report it sees (its attach listener starting, the agent the
        // reader loaded starting), so the reader always meets a pid that was there when it began and went meanwhile
        try (AppJvm app = AppJvm.start(ExitsDuringReport.class, "-Dexit.when=" + when)) {
            Reader.Result r = Reader.report("--pid", String.valueOf(app.pid()), "--attach");
            assertEquals(2, r.status(), r.out() + r.err());
            String err = r.err().strip();
            assertEquals(1, err.lines().count(), err);
            assertEquals("teardown: pid " + app.pid() + " exited during the report", err);
            assertFalse(app.isAlive(), "it exited");
        }
    }

    /** The teardown-agent-rt jar among a process's open files. */
    private static Path openRtJar(long pid) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc", String.valueOf(pid), "fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    Path target = Files.readSymbolicLink(fd);
                    if (target.getFileName() != null && target.getFileName().toString().startsWith("teardown-agent-rt-")) {
                        return target;
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        }
        return null;
    }
}
