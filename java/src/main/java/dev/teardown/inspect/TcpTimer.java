package dev.teardown.inspect;

/**
 * The timer the kernel has running on a socket, as sock_diag's {@code idiag_timer} and the {@code tr}
 * column of {@code /proc/net/tcp} report it; {@code ss -o} prints it as {@code timer:(name,expiry,count)}.
 */
public enum TcpTimer {
    /** 0: no timer pending. */
    OFF("off"),
    /** 1: retransmission, loss probe or reordering timer (ss "on"); the count is retransmissions. */
    RETRANSMIT("on"),
    /** 2: keepalive, or the FIN_WAIT2 timer of an orphan not yet moved to a time-wait socket. */
    KEEPALIVE("keepalive"),
    /** 3: the time-wait socket's timer: TIME_WAIT's 60 s, or an orphaned FIN_WAIT2's fin timeout. */
    TIME_WAIT("timewait"),
    /** 4: zero-window probe (ss "persist"); the count is unanswered probes. */
    PERSIST("persist"),
    /** Any other number a newer kernel might report. */
    UNKNOWN("unknown");

    private final String ssName;

    TcpTimer(String ssName) {
        this.ssName = ssName;
    }

    /** The name {@code ss -o} prints. */
    public String ssName() {
        return ssName;
    }

    /** The timer for the kernel's number (0-4); {@link #UNKNOWN} otherwise. */
    public static TcpTimer of(int kernelNumber) {
        switch (kernelNumber) {
            case 0:
                return OFF;
            case 1:
                return RETRANSMIT;
            case 2:
                return KEEPALIVE;
            case 3:
                return TIME_WAIT;
            case 4:
                return PERSIST;
            default:
                return UNKNOWN;
        }
    }
}
