package dev.teardown;

/**
 * The TCP states as the Linux kernel numbers them ({@code include/net/tcp_states.h}): the eleven states
 * of RFC 793 plus {@link #NEW_SYN_RECV}, the kernel's lightweight request socket for a half-open
 * connection. Values come from {@code tcpi_state} of TCP_INFO, {@code idiag_state} of sock_diag, and the
 * {@code st} column of {@code /proc/net/tcp}.
 */
public enum TcpState {
    /** 1: data flows both ways. */
    ESTABLISHED(1, "ESTAB"),
    /** 2: our SYN is out, waiting for SYN-ACK. */
    SYN_SENT(2, "SYN-SENT"),
    /** 3: SYN received, our SYN-ACK sent (listeners' request sockets are reported in this state). */
    SYN_RECV(3, "SYN-RECV"),
    /** 4: we closed and sent FIN; it is not acknowledged yet. */
    FIN_WAIT1(4, "FIN-WAIT-1"),
    /**
     * 5: our FIN is acknowledged; waiting for the peer's FIN. An orphaned one (no descriptor left) lives
     * about {@code tcp_fin_timeout}; the kernel keeps it as a time-wait socket with this substate.
     */
    FIN_WAIT2(5, "FIN-WAIT-2"),
    /** 6: both FINs exchanged and we closed first: kept 60 s to absorb late segments. */
    TIME_WAIT(6, "TIME-WAIT"),
    /** 7: closed (after RST, or never connected). */
    CLOSE(7, "UNCONN"),
    /** 8: the peer sent FIN; the application has not closed yet. Many of these are a descriptor leak. */
    CLOSE_WAIT(8, "CLOSE-WAIT"),
    /** 9: the peer closed first, we have now sent our FIN and wait for its acknowledgement. */
    LAST_ACK(9, "LAST-ACK"),
    /** 10: accepting connections. */
    LISTEN(10, "LISTEN"),
    /** 11: both sides sent FIN at the same time. */
    CLOSING(11, "CLOSING"),
    /** 12: Linux's request socket for a connection in the SYN-RECV phase of a listener. */
    NEW_SYN_RECV(12, "SYN-RECV");

    private static final TcpState[] BY_NUMBER = new TcpState[13];

    static {
        for (TcpState s : values()) {
            BY_NUMBER[s.number] = s;
        }
    }

    private final int number;
    private final String ssName;

    TcpState(int number, String ssName) {
        this.number = number;
        this.ssName = ssName;
    }

    /** The kernel's number for this state (TCP_ESTABLISHED = 1 ... TCP_NEW_SYN_RECV = 12). */
    public int kernelNumber() {
        return number;
    }

    /** The name {@code ss} prints for this state ("ESTAB", "CLOSE-WAIT", "TIME-WAIT"...). */
    public String ssName() {
        return ssName;
    }

    /**
     * This state as OpenTelemetry's semantic conventions spell the attribute {@code network.connection.state}:
     * {@code established}, {@code syn_sent}, {@code syn_received} (also for {@link #NEW_SYN_RECV}),
     * {@code fin_wait_1}, {@code fin_wait_2}, {@code time_wait}, {@code closed}, {@code close_wait},
     * {@code last_ack}, {@code listen}, {@code closing}. The one vocabulary of teardown's metrics (the Micrometer
     * binder, {@code doctor --prometheus}).
     *
     * @return the attribute value
     */
    public String connectionStateName() {
        switch (this) {
            case SYN_RECV:
            case NEW_SYN_RECV:
                return "syn_received";
            case FIN_WAIT1:
                return "fin_wait_1";
            case FIN_WAIT2:
                return "fin_wait_2";
            case CLOSE:
                return "closed";
            default:
                return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** The bit for this state in sock_diag's {@code idiag_states} mask. */
    public int mask() {
        return 1 << number;
    }

    /**
     * The state numbered {@code kernelNumber} by the kernel.
     *
     * @throws IllegalArgumentException for a number that is not one of the twelve (for example 13,
     *     TCP_BOUND_INACTIVE, which only a dump that asks for it reports)
     */
    public static TcpState of(int kernelNumber) {
        TcpState s = kernelNumber > 0 && kernelNumber < BY_NUMBER.length ? BY_NUMBER[kernelNumber] : null;
        if (s == null) {
            throw new IllegalArgumentException("unknown kernel TCP state number " + kernelNumber);
        }
        return s;
    }

    /** True if {@code kernelNumber} names one of these states. */
    public static boolean isKnown(int kernelNumber) {
        return kernelNumber > 0 && kernelNumber < BY_NUMBER.length && BY_NUMBER[kernelNumber] != null;
    }
}
