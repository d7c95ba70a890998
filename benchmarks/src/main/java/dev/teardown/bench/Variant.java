package dev.teardown.bench;

/**
 * The ways a benchmark client ends a connection, named as churn names them. Each maps to a teardown
 * {@code CloseMode} and, where the JDK has one, to a JDK sequence:
 *
 * <table>
 * <tr><th>variant</th><th>teardown</th><th>SocketChannel / Socket</th><th>C (churn, close-path)</th><th>listener</th></tr>
 * <tr><td>client-first</td><td>RELEASE</td><td>close()</td><td>close()</td><td>wait-for-client</td></tr>
 * <tr><td>server-first</td><td>read to EOF, RELEASE</td><td>read -1, close()</td><td>read to EOF, close()</td>
 *   <td>close-first (echo-byte-then-close with the exchange)</td></tr>
 * <tr><td>shutdown</td><td>SHUTDOWN</td><td>(none: no single shutdown(SHUT_RDWR) call)</td>
 *   <td>shutdown(SHUT_RDWR), close()</td><td>wait-for-client</td></tr>
 * <tr><td>abort</td><td>ABORT</td><td>SO_LINGER 0 / setSoLinger(true, 0), close()</td>
 *   <td>SO_LINGER {1,0}, close()</td><td>wait-for-client</td></tr>
 * <tr><td>graceful</td><td>graceful(2 s)</td><td>shutdownOutput(), read to EOF, close()</td>
 *   <td>shutdown(SHUT_WR), read to EOF, close()</td><td>wait-for-client</td></tr>
 * <tr><td>linger</td><td>linger(2 s), after a 1-byte exchange (data already acknowledged)</td>
 *   <td>SO_LINGER 2 s / setSoLinger(true, 2), close()</td><td>SO_LINGER {1,2}, close()</td><td>wait-for-client</td></tr>
 * </table>
 */
enum Variant {
    CLIENT_FIRST("client-first", "RELEASE", true, true),
    SERVER_FIRST("server-first", "RELEASE after EOF", true, true),
    SHUTDOWN("shutdown", "SHUTDOWN", false, false),
    ABORT("abort", "ABORT", true, true),
    GRACEFUL("graceful", "graceful(2s)", true, true),
    LINGER("linger", "linger(2s), data acked", true, false);

    final String label;
    final String teardownMode;
    final boolean jdk;
    /** churn has this variant (the others are timed by close-path only). */
    final boolean inChurn;

    Variant(String label, String teardownMode, boolean jdk, boolean inChurn) {
        this.label = label;
        this.teardownMode = teardownMode;
        this.jdk = jdk;
        this.inChurn = inChurn;
    }

    static Variant of(String label) {
        for (Variant v : values()) {
            if (v.label.equals(label)) {
                return v;
            }
        }
        throw new IllegalArgumentException("unknown variant '" + label + "'");
    }

    /** The listener mode this variant needs. */
    ListenerMode listener(boolean exchange) {
        if (this == SERVER_FIRST) {
            return exchange ? ListenerMode.ECHO_BYTE_THEN_CLOSE : ListenerMode.CLOSE_FIRST;
        }
        return ListenerMode.WAIT_FOR_CLIENT;
    }

    /** This variant's setup needs the 1-byte exchange in the latency benchmark (linger: data acknowledged). */
    boolean exchangeBeforeClose() {
        return this == LINGER;
    }
}
