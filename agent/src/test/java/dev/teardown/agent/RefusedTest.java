package dev.teardown.agent;

import dev.teardown.agent.testing.AppJvm;
import dev.teardown.agent.testing.Reader;
import org.example.leaky.LeakyServer;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What cannot be attached to gets one line that says why and what to do instead, and exit status 2. */
class RefusedTest {
    @Test
    void jvmWithAttachDisabled() throws Exception {
        try (AppJvm app = AppJvm.start(LeakyServer.class, "-XX:+DisableAttachMechanism")) {
            Reader.Result r = Reader.report("--pid", String.valueOf(app.pid()), "--attach");
            assertEquals(2, r.status(), r.out() + r.err());
            assertOneLine(r, "DisableAttachMechanism", "-javaagent:");
            assertTrue(app.isAlive(), "the refused JVM runs on");
        }
    }

    @Test
    void jvmCarryingTheAgentWithAttachDisabled() throws Exception {
        // it records from the start, but nothing outside it can read the records: the advice is not to load the agent
        try (AppJvm app = AppJvm.start(LeakyServer.class, "-XX:+DisableAttachMechanism", "-javaagent:" + Reader.jar())) {
            Reader.Result r = Reader.report("--pid", String.valueOf(app.pid()));
            assertEquals(2, r.status(), r.out() + r.err());
            assertOneLine(r, "carries the agent but refuses attach (started with -XX:+DisableAttachMechanism)",
                    "restart it without that option");
            assertFalse(r.err().contains("start it with -javaagent"), r.err());
            assertTrue(app.isAlive(), "the refused JVM runs on");
        }
    }

    @Test
    void processThatIsNotAJvm() throws Exception {
        Process sleep = new ProcessBuilder("sleep", "60").start();
        try {
            Reader.Result r = Reader.report("--pid", String.valueOf(sleep.pid()), "--attach");
            assertEquals(2, r.status(), r.out() + r.err());
            assertOneLine(r, "is not a Java VM", "jps");
            assertTrue(sleep.isAlive(), "no signal reached the process");
        } finally {
            sleep.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void noSuchProcessAndBadOptions() throws Exception {
        Reader.Result gone = Reader.report("--pid", "999999999");
        assertEquals(2, gone.status());
        assertTrue(gone.err().contains("no process 999999999"), gone.err());

        Reader.Result bad = Reader.report("--pid", "1", "--state", "closed-wait");
        assertEquals(2, bad.status());
        assertTrue(bad.err().contains("not a TCP state: closed-wait") && bad.err().contains("usage:"), bad.err());

        Reader.Result app = Reader.report("--pid", "1", "--app", "com.acme.");
        assertEquals(2, app.status());
        assertTrue(app.err().contains("--app and --lib take package prefixes") && app.err().contains("with --attach"),
                app.err());
    }

    private static void assertOneLine(Reader.Result r, String why, String instead) {
        String err = r.err().strip();
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.startsWith("teardown: ") && err.contains(why) && err.contains(instead), err);
    }
}
