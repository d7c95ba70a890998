package dev.teardown.agent;

import dev.teardown.agent.testing.AppJvm;
import dev.teardown.agent.testing.Reader;
import dev.teardown.agent.testing.Ss;
import org.example.leaky.DroppedSockets;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The agent must not change what the application's sockets do: a {@code Socket} the application drops unclosed is
 * still closed by the JDK's cleaner (the agent holds no reference to a socket), and the cleaner's close drops the
 * socket's record as an explicit close does.
 */
class DroppedSocketTest {
    @Test
    void aDroppedSocketIsStillClosedByTheJdksCleaner() throws Exception {
        assumeTrue(Ss.available(), "needs ss (iproute2) as the independent observer");
        try (AppJvm app = AppJvm.start(DroppedSockets.class, "-javaagent:" + Reader.jar())) {
            // the dropped clients closed by the cleaner leave the accepted ends, which the app holds, in CLOSE_WAIT
            int n = Ss.closeWait(app.port());
            for (long end = System.nanoTime() + 20_000_000_000L; n != 3 && System.nanoTime() < end; ) {
                Thread.sleep(100);
                n = Ss.closeWait(app.port());
            }
            assertEquals(3, n, "ss: CLOSE_WAIT on the app's port once its dropped sockets were collected; app stderr: "
                    + app.stderr());
            // left: the listener and the three accepted ends (the app reads the agent's MBean in-process: no JMX port)
            assertTrue(app.awaitLine("records 4", 20), "the cleaner's closes did not drop the records; app stderr: "
                    + app.stderr());
        }
    }
}
