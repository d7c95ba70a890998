package dev.teardown.agent;

import dev.teardown.agent.report.LeakReport;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line's state names. (Endpoint parsing is checked against ss by the report tests.) */
class ProcSocketsTest {
    @Test
    void stateNames() {
        assertEquals(Set.of("CLOSE_WAIT"), LeakReport.states("close-wait"));
        assertEquals(Set.of("ESTABLISHED", "FIN_WAIT2"), LeakReport.states("established, fin-wait-2"));
        assertTrue(LeakReport.states("all").containsAll(Set.of("LISTEN", "TIME_WAIT", "CLOSE_WAIT")));
        assertThrows(IllegalArgumentException.class, () -> LeakReport.states("closed"));
    }
}
