package dev.teardown.agent;

import dev.teardown.agent.testing.AppJvm;
import dev.teardown.agent.testing.Reader;
import dev.teardown.agent.testing.Sources;
import dev.teardown.agent.testing.Ss;
import org.example.leaky.LeakyServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The same leak with the agent loaded at start: every socket has a site, and JFR records each CLOSE_WAIT. */
class JavaagentReportTest {
    @Test
    void agentLoadedAtStartNamesEveryLeakAndFeedsJfr(@TempDir Path dir) throws Exception {
        assumeTrue(Ss.available(), "needs ss (iproute2) as the independent observer");
        String frame = "org.example.leaky.LeakyServer.acceptLoop(LeakyServer.java:"
                + Sources.line(LeakyServer.class, "// LEAK") + ")";
        Path jfc = dir.resolve("closewait.jfc");
        Files.writeString(jfc, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<configuration version=\"2.0\">\n"
                + "  <event name=\"dev.teardown.agent.CloseWait\">\n"
                + "    <setting name=\"enabled\">true</setting>\n    <setting name=\"period\">1 s</setting>\n"
                + "  </event>\n</configuration>\n");
        Path recording = dir.resolve("app.jfr");
        try (AppJvm app = AppJvm.start(LeakyServer.class, "-javaagent:" + Reader.jar(),
                "-XX:StartFlightRecording=settings=" + jfc + ",filename=" + recording)) {
            app.hangUp(4);
            assertEquals(4, Ss.awaitCloseWait(app.port(), 4), "ss: CLOSE_WAIT on the app's port");

            Reader.Result r = Reader.report("--pid", String.valueOf(app.pid()), "--json");
            assertEquals(0, r.status(), r.err());
            Map<String, Object> report = Reports.parse(r.out());
            assertEquals(1, Reports.groups(report).size(), r.out());
            Map<String, Object> leak = Reports.groupOpenedAt(report, frame);
            assertNotNull(leak, "no group opened at " + frame + ": " + r.out());
            assertEquals(4L, Reports.count(leak));
            assertNull(Reports.groupWithoutSite(report));
            assertEquals("premain", ((Map<?, ?>) report.get("agent")).get("how"));

            Thread.sleep(2500); // two periods of the JFR event
            String dump = run(tool("jcmd"), String.valueOf(app.pid()), "JFR.dump", "filename=" + recording);
            assertTrue(dump.contains("Dumped recording"), dump);
            String events = run(tool("jfr"), "print", "--events", "dev.teardown.agent.CloseWait", recording.toString());
            assertTrue(events.contains("LeakyServer.acceptLoop(LeakyServer.java:"), events);
            assertTrue(events.contains(":" + app.port() + "\""), events);
        }
    }

    @Test
    void overTheStackBudgetSocketsAreStillListed() throws Exception {
        assumeTrue(Ss.available(), "needs ss (iproute2) as the independent observer");
        try (AppJvm app = AppJvm.start(LeakyServer.class, "-javaagent:" + Reader.jar() + "=stacks=0")) {
            app.hangUp(2);
            assertEquals(2, Ss.awaitCloseWait(app.port(), 2), "ss: CLOSE_WAIT on the app's port");
            Reader.Result r = Reader.report("--pid", String.valueOf(app.pid()), "--json");
            Map<String, Object> report = Reports.parse(r.out());
            assertEquals(1, Reports.groups(report).size(), r.out());
            Map<String, Object> group = Reports.groups(report).get(0);
            assertEquals(2L, Reports.count(group));
            assertEquals(Boolean.FALSE, group.get("stackTaken"));
            assertEquals(0L, ((Map<?, ?>) report.get("agent")).get("stacksPerSecond"));
            Reader.Result text = Reader.report("--pid", String.valueOf(app.pid()));
            assertTrue(text.out().contains("2 in CLOSE_WAIT") && text.out().contains("stack not taken"), text.out());
        }
    }

    private static String tool(String name) {
        return Path.of(System.getProperty("java.home"), "bin", name).toString();
    }

    private static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", cmd));
        return out;
    }
}
