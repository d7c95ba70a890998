package dev.teardown;

import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link TcpSocket} ends, named by what it puts on the wire. Pass one to
 * {@link TcpSocket#close(CloseMode)}; {@link TcpSocket#close()} applies the socket's default mode
 * ({@link #RELEASE} unless changed).
 *
 * <table class="striped">
 * <caption>Close modes</caption>
 * <tr><th>mode</th><th>system calls</th><th>on the wire</th><th>left behind</th></tr>
 * <tr><td>{@link #RELEASE}</td><td>close(fd)</td><td>FIN only if this was the last reference (RST if
 *   unread input is queued); nothing otherwise</td><td>while another reference lives: peer in FIN_WAIT2
 *   or ESTABLISHED, us in CLOSE_WAIT or ESTABLISHED</td></tr>
 * <tr><td>{@link #SHUTDOWN}</td><td>shutdown(SHUT_RDWR), close(fd)</td><td>FIN now, whoever else holds
 *   the socket</td><td>the active closer in TIME_WAIT</td></tr>
 * <tr><td>{@link #ABORT}</td><td>setsockopt(SO_LINGER {1,0}), close(fd)</td><td>RST, no FIN first</td>
 *   <td>nothing: no TIME_WAIT; the peer gets ECONNRESET and unsent data is dropped</td></tr>
 * <tr><td>{@link #graceful(Duration, long)}</td><td>shutdown(SHUT_WR), read to EOF, close(fd)</td>
 *   <td>FIN, then the peer's FIN is awaited; RST if the deadline or byte limit is hit</td><td>an orderly
 *   four-way close; nothing we wrote is lost</td></tr>
 * <tr><td>{@link #linger(Duration)}</td><td>wait (parked) for our data to be acknowledged, shutdown(SHUT_WR),
 *   wait for the FIN to be acknowledged, close(fd)</td><td>FIN once our data is acknowledged; RST if the time
 *   runs out</td>
 *   <td>as a FIN close, or nothing after the RST</td></tr>
 * </table>
 *
 * <p>RELEASE and linger act on this descriptor only; SHUTDOWN and graceful end the connection for every
 * holder (dups, children). ABORT sends RST only when it closes the last reference; with others still open
 * it leaves SO_LINGER {1,0} on the socket, so the last holder's close sends the RST.
 *
 * <p>Close with a named mode and read what it did:
 * <!-- example: dev.teardown.snippets.CloseSnippets#close, a copy JavadocExamplesTest keeps equal to that compiled, tested region -->
 * <pre>
 * TcpSocket socket = TcpSocket.connect(server);
 * socket.write(ByteBuffer.wrap("PING\n".getBytes(StandardCharsets.US_ASCII)));
 * // FIN now, read what the peer still sends (up to 2 s), then close: nothing it sent is lost
 * CloseOutcome outcome = socket.close(CloseMode.graceful(Duration.ofSeconds(2)));
 * switch (outcome.sent()) {
 *     case FIN -&gt; System.out.println("orderly: " + outcome.detail());
 *     case RST, FIN_THEN_RST -&gt; System.out.println("reset: " + outcome.detail());
 *     case NOTHING -&gt; System.out.println("another holder keeps it open: " + outcome.referencesLeft());
 * }
 * </pre>
 */
public final class CloseMode {
    /** What the mode does; see the class table. */
    public enum Kind {
        /** {@link CloseMode#RELEASE}. */
        RELEASE,
        /** {@link CloseMode#SHUTDOWN}. */
        SHUTDOWN,
        /** {@link CloseMode#ABORT}. */
        ABORT,
        /** {@link CloseMode#graceful(java.time.Duration)}. */
        GRACEFUL,
        /** {@link CloseMode#linger(java.time.Duration)}. */
        LINGER
    }

    /** close(fd): drops this descriptor; FIN only if it was the last reference to the socket. */
    public static final CloseMode RELEASE = new CloseMode(Kind.RELEASE, 0, 0);
    /** shutdown(SHUT_RDWR) then close: FIN now for every holder. The fix for a CLOSE_WAIT leak. */
    public static final CloseMode SHUTDOWN = new CloseMode(Kind.SHUTDOWN, 0, 0);
    /**
     * SO_LINGER {1,0} then close: RST, no FIN, no TIME_WAIT. Unsent and unread data is dropped. After an earlier
     * shutdownOutput the FIN has already gone out, and the outcome says FIN_THEN_RST.
     */
    public static final CloseMode ABORT = new CloseMode(Kind.ABORT, 0, 0);

    /** Byte limit {@link #graceful(Duration)} applies to what it drains: 1 MiB. */
    public static final long DEFAULT_DRAIN_LIMIT = 1 << 20;

    private final Kind kind;
    private final long timeoutNanos;
    private final long drainLimit;

    private CloseMode(Kind kind, long timeoutNanos, long drainLimit) {
        this.kind = kind;
        this.timeoutNanos = timeoutNanos;
        this.drainLimit = drainLimit;
    }

    /**
     * shutdown(SHUT_WR), then read and discard until the peer's FIN or until {@code timeout} passes,
     * then close. Sends FIN after every byte already written, so the peer receives all of it; if the
     * peer has not closed by the deadline, or sends more than {@link #DEFAULT_DRAIN_LIMIT} bytes, the
     * socket is aborted with RST instead.
     *
     * @throws IllegalArgumentException if {@code timeout} is null, negative or too large for nanoseconds
     */
    public static CloseMode graceful(Duration timeout) {
        return graceful(timeout, DEFAULT_DRAIN_LIMIT);
    }

    /**
     * As {@link #graceful(Duration)}, with a limit on how many bytes are read and discarded before the
     * socket is aborted (as nginx's lingering close has).
     *
     * @throws IllegalArgumentException if {@code timeout} is invalid or {@code maxDrainBytes} is negative
     */
    public static CloseMode graceful(Duration timeout, long maxDrainBytes) {
        long nanos = Args.nonNegativeNanos("timeout", timeout);
        if (maxDrainBytes < 0) {
            throw new IllegalArgumentException("maxDrainBytes must be >= 0, got " + maxDrainBytes);
        }
        return new CloseMode(Kind.GRACEFUL, nanos, maxDrainBytes);
    }

    /**
     * Waits up to {@code timeout} for everything written to be acknowledged (SIOCOUTQ), sends FIN
     * (shutdown(SHUT_WR)), waits for the FIN to be acknowledged too (TCP_INFO's state), then closes. If the
     * deadline passes first the socket is aborted with RST, and the outcome says how many bytes of our output it
     * dropped. The waits park a virtual thread (a platform thread sleeps in short steps); close(2) itself never
     * blocks, unlike the kernel's own SO_LINGER, and the deadline is exact to the millisecond. With other
     * references still open this only drops this descriptor, as RELEASE does. (macOS, untested: the kernel's
     * SO_LINGER in whole seconds.) {@link TcpSocket#closeAsync(CloseMode)} waits on no thread at all.
     *
     * @throws IllegalArgumentException if {@code timeout} is null, negative, or beyond the platform's
     *     SO_LINGER maximum
     */
    public static CloseMode linger(Duration timeout) {
        long nanos = Args.nonNegativeNanos("timeout", timeout);
        if (timeout.getSeconds() > dev.teardown.posix.Os.MAX_LINGER_SECONDS) {
            throw new IllegalArgumentException("timeout " + timeout + " exceeds this platform's SO_LINGER maximum of "
                    + dev.teardown.posix.Os.MAX_LINGER_SECONDS + " s");
        }
        return new CloseMode(Kind.LINGER, nanos, 0);
    }

    /** Which mode this is. */
    public Kind kind() {
        return kind;
    }

    /** The deadline of graceful and linger; {@link Duration#ZERO} for the others. */
    public Duration timeout() {
        return Duration.ofNanos(timeoutNanos);
    }

    long timeoutNanos() {
        return timeoutNanos;
    }

    /** The drain limit of graceful; 0 for the others. */
    public long maxDrainBytes() {
        return drainLimit;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CloseMode m && m.kind == kind && m.timeoutNanos == timeoutNanos && m.drainLimit == drainLimit;
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, timeoutNanos, drainLimit);
    }

    @Override
    public String toString() {
        switch (kind) {
            case GRACEFUL:
                return "GRACEFUL(" + timeout() + ", " + drainLimit + " bytes)";
            case LINGER:
                return "LINGER(" + timeout() + ")";
            default:
                return kind.name();
        }
    }
}
