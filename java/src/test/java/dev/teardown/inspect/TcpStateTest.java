package dev.teardown.inspect;

import dev.teardown.TcpState;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** TcpState and TcpTimer follow the kernel's numbering (include/net/tcp_states.h, inet_diag timers). */
class TcpStateTest {
    @Test
    void kernelNumbers() {
        String[] byNumber = {null, "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE",
            "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV"};
        for (int n = 1; n <= 12; n++) {
            assertEquals(byNumber[n], TcpState.of(n).name());
            assertEquals(n, TcpState.of(n).kernelNumber());
            assertEquals(1 << n, TcpState.of(n).mask());
        }
        assertEquals(12, TcpState.values().length);
        assertThrows(IllegalArgumentException.class, () -> TcpState.of(0));
        assertThrows(IllegalArgumentException.class, () -> TcpState.of(13)); // TCP_BOUND_INACTIVE
        assertFalse(TcpState.isKnown(13));
        assertTrue(TcpState.isKnown(12));
        assertEquals("CLOSE-WAIT", TcpState.CLOSE_WAIT.ssName());
        assertEquals("ESTAB", TcpState.ESTABLISHED.ssName());
    }

    @Test
    void timers() {
        assertEquals(TcpTimer.OFF, TcpTimer.of(0));
        assertEquals("on", TcpTimer.of(1).ssName());
        assertEquals(TcpTimer.KEEPALIVE, TcpTimer.of(2));
        assertEquals("timewait", TcpTimer.of(3).ssName());
        assertEquals(TcpTimer.PERSIST, TcpTimer.of(4));
        assertEquals(TcpTimer.UNKNOWN, TcpTimer.of(9));
    }
}
