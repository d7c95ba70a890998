package dev.teardown.agent;

import dev.teardown.agent.testing.AppJvm;
import dev.teardown.agent.testing.Reader;
import dev.teardown.agent.testing.Sources;
import dev.teardown.agent.testing.Ss;
import org.example.leaky.LeakyServer;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** A plain ServerSocket server that leaks, attached to while it runs: the report names the line that accepted. */
class AttachReportTest {
    @Test
    void attachedAgentNamesTheLineThatOpenedTheLeakedSockets() throws Exception {
        assumeTrue(Ss.available(), "needs ss (iproute2) as the independent observer");
        String frame = "org.example.leaky.LeakyServer.acceptLoop(LeakyServer.java:"
                + Sources.line(LeakyServer.class, "// LEAK") + ")";
        try (AppJvm app = AppJvm.start(LeakyServer.class)) {
            app.hangUp(2); // before the agent: these have no site

            Reader.Result attached = Reader.report("--pid", String.valueOf(app.pid()), "--attach");
            assertEquals(0, attached.status(), attached.err());
            assertTrue(attached.out().contains("agent: attached"), attached.out());
            assertTrue(attached.out().contains("opened before the agent was loaded"), attached.out());

            // the accept that was already waiting when the agent came runs the old code: that connection has no site
            app.hangUp(1);
            app.hangUp(3);
            assertEquals(6, Ss.awaitCloseWait(app.port(), 6), "ss: CLOSE_WAIT on the app's port");

            Reader.Result r = Reader.report("--pid", String.valueOf(app.pid()), "--json");
            assertEquals(0, r.status(), r.err());
            Map<String, Object> report = Reports.parse(r.out());
            assertEquals(6L, report.get("total"), r.out());
            Map<String, Object> leak = Reports.groupOpenedAt(report, frame);
            assertNotNull(leak, "no group opened at " + frame + ": " + r.out());
            assertEquals("CLOSE_WAIT", leak.get("state"));
            assertEquals(3L, Reports.count(leak), r.out());
            assertEquals(3L, Reports.count(Reports.groupWithoutSite(report)), r.out());
            assertEquals(leak, Reports.groups(report).get(0), "the worst group comes first");

            Reader.Result text = Reader.report("--pid", String.valueOf(app.pid()));
            assertTrue(text.out().contains("at " + frame), text.out());
            assertTrue(app.isAlive());
        }
    }
}
