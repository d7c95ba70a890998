package dev.teardown;

import dev.teardown.posix.JdkChannels;

import static dev.teardown.posix.TcpInfoLayout.u16;
import static dev.teardown.posix.TcpInfoLayout.u32;
import static dev.teardown.posix.TcpInfoLayout.u64;
import static dev.teardown.posix.TcpInfoLayout.u8;

import dev.teardown.posix.Errno;
import dev.teardown.posix.Libc;
import dev.teardown.posix.Os;
import dev.teardown.posix.TcpInfoLayout;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The kernel's per-connection TCP state and counters: Linux {@code struct tcp_info} from
 * {@code getsockopt(fd, IPPROTO_TCP, TCP_INFO)}, as {@code ss -ti} shows it. A snapshot taken when read.
 *
 * <p><b>Read by length.</b> The struct grows with kernel versions; the kernel fills only as much as it has
 * and returns that length ({@link #length()}). The fields of the original 104-byte struct (present since
 * Linux 2.6) are plain values; every later field is an {@link OptionalLong} (or {@code Optional<Duration>})
 * that is empty when the running kernel did not fill it, never a zero standing in for "unknown".
 *
 * <p><b>JDK channels.</b> {@link #of(SocketChannel)} reads a JDK channel's descriptor by reflection, which
 * needs the JVM option {@code --add-opens java.base/sun.nio.ch=ALL-UNNAMED} ({@code =dev.teardown} when teardown
 * is on the module path); without it the call fails
 * with an {@link IllegalStateException} that names the option. It only reads: the descriptor is never
 * closed or changed.
 *
 * <p>Linux only (macOS has a different struct under a different option).
 */
public final class TcpInfo {
    /** Congestion-control state machine ({@code tcpi_ca_state}). */
    public enum CongestionState {
        /** Normal operation. */
        OPEN,
        /** Duplicate ACKs or SACKs seen: possibly reordering. */
        DISORDER,
        /** Window reduced after an ECN echo or local congestion. */
        CWR,
        /** Fast retransmit in progress. */
        RECOVERY,
        /** Retransmission timeout: loss recovery. */
        LOSS,
        /** A number this library does not know. */
        UNKNOWN
    }

    private final byte[] raw;
    private final int length;

    private TcpInfo(byte[] raw, int length) {
        this.raw = raw;
        this.length = length;
    }

    /**
     * Reads TCP_INFO of descriptor {@code fd}. The caller must keep {@code fd} open for the duration of the
     * call (a closed number may already name another socket).
     *
     * @throws TcpException naming getsockopt and the errno (EBADF as SocketClosedException, ENOTSOCK for a
     *     descriptor that is not a socket, ENOPROTOOPT for a socket that is not TCP)
     * @throws UnsupportedOperationException on a platform without Linux TCP_INFO
     */
    public static TcpInfo of(int fd) throws TcpException {
        if (!Os.LINUX) {
            Os.requireSupported();
            throw new UnsupportedOperationException("TCP_INFO is read on Linux only; this is " + Os.KIND);
        }
        byte[] buf = new byte[TcpInfoLayout.BUFFER_SIZE];
        int len = TcpInfoLayout.read(fd, buf);
        if (len < 0) {
            throw TcpException.of("getsockopt(TCP_INFO)", Libc.errno());
        }
        if (len < TcpInfoLayout.BASE_SIZE) {
            throw new UnsupportedOperationException("the kernel filled only " + len + " bytes of tcp_info; teardown"
                    + " needs the " + TcpInfoLayout.BASE_SIZE + "-byte struct every Linux since 2.6 has");
        }
        return new TcpInfo(Arrays.copyOf(buf, len), len);
    }

    /**
     * Reads TCP_INFO of a JDK {@link SocketChannel} (opened with {@code SocketChannel.open()}, accepted from a
     * {@code ServerSocketChannel}, or {@code Socket.getChannel()} of such a socket). Needs the JVM option
     * {@code --add-opens java.base/sun.nio.ch=ALL-UNNAMED}; {@link dev.teardown.jdk.JdkSockets#tcpInfo(SocketChannel)}
     * reads the same without it. Read-only: the descriptor is never closed or changed. If the channel is closed
     * during the call, the result is discarded and the call fails.
     *
     * @throws IllegalStateException naming the {@code --add-opens} option and {@code JdkSockets.tcpInfo} when the
     *         JVM lacks the option
     * @throws SocketClosedException if the channel is closed
     */
    public static TcpInfo of(SocketChannel channel) throws TcpException {
        int fd = JdkChannels.fd(channel, "dev.teardown.jdk.JdkSockets.tcpInfo(channel)");
        if (!channel.isOpen()) {
            throw TcpException.of("getsockopt(TCP_INFO) on a closed JDK channel", Errno.EBADF);
        }
        TcpInfo info = of(fd);
        if (!channel.isOpen()) { // the number may have been reused during the call
            throw TcpException.of("getsockopt(TCP_INFO) on a closed JDK channel", Errno.EBADF);
        }
        return info;
    }

    /**
     * A TcpInfo decoded from a raw {@code struct tcp_info} (as getsockopt(TCP_INFO) or sock_diag's INET_DIAG_INFO
     * attribute returns it): the first {@code length} bytes of {@code raw}, as if the kernel had filled only those.
     */
    public static TcpInfo fromBytes(byte[] raw, int length) {
        if (length < TcpInfoLayout.BASE_SIZE || length > raw.length) {
            throw new IllegalArgumentException("length " + length);
        }
        return new TcpInfo(Arrays.copyOf(raw, length), length);
    }

    /** Just the state, from TCP_INFO. */
    public static TcpState stateOf(int fd) throws TcpException {
        return of(fd).state();
    }

    /** True if the JVM was started with the {@code --add-opens} option that {@link #of(SocketChannel)} needs. */
    public static boolean canReadJdkChannels() {
        return JdkChannels.available();
    }

    /** How many bytes of {@code struct tcp_info} the running kernel filled (280 on Linux 6.18). */
    public int length() {
        return length;
    }

    /** True if the kernel filled the field that ends at byte {@code end}. */
    private boolean has(int end) {
        return length >= end;
    }

    private OptionalLong opt32(int off) {
        return has(off + 4) ? OptionalLong.of(u32(raw, off)) : OptionalLong.empty();
    }

    private OptionalLong opt64(int off) {
        return has(off + 8) ? OptionalLong.of(u64(raw, off)) : OptionalLong.empty();
    }

    private OptionalLong opt16(int off) {
        return has(off + 2) ? OptionalLong.of(u16(raw, off)) : OptionalLong.empty();
    }

    private static Duration micros(long us) {
        return Duration.ofNanos(us * 1000);
    }

    // ---- the original struct: always present ----

    /** The connection's state ({@code tcpi_state}). */
    public TcpState state() {
        return TcpState.of(u8(raw, TcpInfoLayout.STATE));
    }

    /** The congestion-control state ({@code tcpi_ca_state}). */
    public CongestionState congestionState() {
        int s = u8(raw, TcpInfoLayout.CA_STATE);
        return s < CongestionState.values().length - 1 ? CongestionState.values()[s] : CongestionState.UNKNOWN;
    }

    /** Consecutive retransmission timeouts of the segment at the head of the queue ({@code tcpi_retransmits}). */
    public int retransmits() {
        return u8(raw, TcpInfoLayout.RETRANSMITS);
    }

    /** Unanswered zero-window or keepalive probes ({@code tcpi_probes}). */
    public int probes() {
        return u8(raw, TcpInfoLayout.PROBES);
    }

    /** Exponential backoff of the retransmission timer ({@code tcpi_backoff}). */
    public int backoff() {
        return u8(raw, TcpInfoLayout.BACKOFF);
    }

    /** The raw {@code tcpi_options} bits (TCPI_OPT_TIMESTAMPS = 1, SACK = 2, WSCALE = 4, ECN = 8...). */
    public int options() {
        return u8(raw, TcpInfoLayout.OPTIONS);
    }

    /** TCP timestamps were negotiated (needed for tcp_tw_reuse). */
    public boolean timestamps() {
        return (options() & TcpInfoLayout.OPT_TIMESTAMPS) != 0;
    }

    /** Selective acknowledgements were negotiated. */
    public boolean sack() {
        return (options() & TcpInfoLayout.OPT_SACK) != 0;
    }

    /** Window scaling was negotiated. */
    public boolean windowScaling() {
        return (options() & TcpInfoLayout.OPT_WSCALE) != 0;
    }

    /** ECN was negotiated. */
    public boolean ecn() {
        return (options() & TcpInfoLayout.OPT_ECN) != 0;
    }

    /** The peer's window scale shift ({@code tcpi_snd_wscale}). */
    public int sendWindowScale() {
        return u8(raw, TcpInfoLayout.WSCALE) & 0xf;
    }

    /** Our window scale shift ({@code tcpi_rcv_wscale}). */
    public int receiveWindowScale() {
        return u8(raw, TcpInfoLayout.WSCALE) >>> 4;
    }

    /** The retransmission timeout ({@code tcpi_rto}). */
    public Duration rto() {
        return micros(u32(raw, TcpInfoLayout.RTO));
    }

    /** The delayed-ACK timeout ({@code tcpi_ato}). */
    public Duration ato() {
        return micros(u32(raw, TcpInfoLayout.ATO));
    }

    /** Sending maximum segment size ({@code tcpi_snd_mss}). */
    public long sendMss() {
        return u32(raw, TcpInfoLayout.SND_MSS);
    }

    /** Receiving MSS estimate ({@code tcpi_rcv_mss}). */
    public long receiveMss() {
        return u32(raw, TcpInfoLayout.RCV_MSS);
    }

    /** Segments sent and not yet acknowledged ({@code tcpi_unacked}). */
    public long unacked() {
        return u32(raw, TcpInfoLayout.UNACKED);
    }

    /** Segments selectively acknowledged ({@code tcpi_sacked}). */
    public long sacked() {
        return u32(raw, TcpInfoLayout.SACKED);
    }

    /** Segments considered lost ({@code tcpi_lost}). */
    public long lost() {
        return u32(raw, TcpInfoLayout.LOST);
    }

    /** Retransmitted segments still in flight ({@code tcpi_retrans}). */
    public long retransmittedInFlight() {
        return u32(raw, TcpInfoLayout.RETRANS);
    }

    /** Time since we last sent data ({@code tcpi_last_data_sent}). */
    public Duration sinceLastDataSent() {
        return Duration.ofMillis(u32(raw, TcpInfoLayout.LAST_DATA_SENT));
    }

    /** Time since data last arrived ({@code tcpi_last_data_recv}). */
    public Duration sinceLastDataReceived() {
        return Duration.ofMillis(u32(raw, TcpInfoLayout.LAST_DATA_RECV));
    }

    /** Time since an ACK last arrived ({@code tcpi_last_ack_recv}). */
    public Duration sinceLastAckReceived() {
        return Duration.ofMillis(u32(raw, TcpInfoLayout.LAST_ACK_RECV));
    }

    /** Path MTU ({@code tcpi_pmtu}). */
    public long pathMtu() {
        return u32(raw, TcpInfoLayout.PMTU);
    }

    /** Receive slow-start threshold ({@code tcpi_rcv_ssthresh}). */
    public long receiveSsthresh() {
        return u32(raw, TcpInfoLayout.RCV_SSTHRESH);
    }

    /** Smoothed round-trip time ({@code tcpi_rtt}). */
    public Duration rtt() {
        return micros(u32(raw, TcpInfoLayout.RTT));
    }

    /** Round-trip time variance ({@code tcpi_rttvar}). */
    public Duration rttVariance() {
        return micros(u32(raw, TcpInfoLayout.RTTVAR));
    }

    /** Send slow-start threshold in segments ({@code tcpi_snd_ssthresh}; 2147483647 = infinite). */
    public long sendSsthresh() {
        return u32(raw, TcpInfoLayout.SND_SSTHRESH);
    }

    /** Congestion window in segments ({@code tcpi_snd_cwnd}). */
    public long sendCwnd() {
        return u32(raw, TcpInfoLayout.SND_CWND);
    }

    /** Advertised MSS ({@code tcpi_advmss}). */
    public long advertisedMss() {
        return u32(raw, TcpInfoLayout.ADVMSS);
    }

    /** Reordering metric ({@code tcpi_reordering}). */
    public long reordering() {
        return u32(raw, TcpInfoLayout.REORDERING);
    }

    /** Receiver-side RTT estimate ({@code tcpi_rcv_rtt}). */
    public Duration receiveRtt() {
        return micros(u32(raw, TcpInfoLayout.RCV_RTT));
    }

    /** Receive buffer space the autotuning aims for ({@code tcpi_rcv_space}). */
    public long receiveSpace() {
        return u32(raw, TcpInfoLayout.RCV_SPACE);
    }

    /** Segments retransmitted over the connection's life ({@code tcpi_total_retrans}). */
    public long totalRetransmits() {
        return u32(raw, TcpInfoLayout.TOTAL_RETRANS);
    }

    // ---- later fields: absent when the kernel did not fill them ----

    /** Pacing rate in bytes per second (Linux 3.15). */
    public OptionalLong pacingRate() {
        return opt64(TcpInfoLayout.PACING_RATE);
    }

    /** Maximum pacing rate in bytes per second (Linux 3.15). */
    public OptionalLong maxPacingRate() {
        return opt64(TcpInfoLayout.MAX_PACING_RATE);
    }

    /** Bytes we sent that the peer acknowledged (Linux 4.1). */
    public OptionalLong bytesAcked() {
        return opt64(TcpInfoLayout.BYTES_ACKED);
    }

    /** Bytes received in order (Linux 4.1). */
    public OptionalLong bytesReceived() {
        return opt64(TcpInfoLayout.BYTES_RECEIVED);
    }

    /** Segments sent (Linux 4.2). */
    public OptionalLong segmentsOut() {
        return opt32(TcpInfoLayout.SEGS_OUT);
    }

    /** Segments received (Linux 4.2). */
    public OptionalLong segmentsIn() {
        return opt32(TcpInfoLayout.SEGS_IN);
    }

    /** Bytes written by the application and not yet sent (Linux 4.6). */
    public OptionalLong notSentBytes() {
        return opt32(TcpInfoLayout.NOTSENT_BYTES);
    }

    /** Minimum RTT observed (Linux 4.6). */
    public Optional<Duration> minRtt() {
        OptionalLong v = opt32(TcpInfoLayout.MIN_RTT);
        return v.isPresent() ? Optional.of(micros(v.getAsLong())) : Optional.empty();
    }

    /** Segments with data received (Linux 4.6). */
    public OptionalLong dataSegmentsIn() {
        return opt32(TcpInfoLayout.DATA_SEGS_IN);
    }

    /** Segments with data sent (Linux 4.6). */
    public OptionalLong dataSegmentsOut() {
        return opt32(TcpInfoLayout.DATA_SEGS_OUT);
    }

    /** Delivery rate estimate in bytes per second (Linux 4.9). */
    public OptionalLong deliveryRate() {
        return opt64(TcpInfoLayout.DELIVERY_RATE);
    }

    /** Time spent busy sending data (Linux 4.10). */
    public Optional<Duration> busyTime() {
        OptionalLong v = opt64(TcpInfoLayout.BUSY_TIME);
        return v.isPresent() ? Optional.of(micros(v.getAsLong())) : Optional.empty();
    }

    /** Time sending was limited by the peer's receive window (Linux 4.10). */
    public Optional<Duration> receiveWindowLimited() {
        OptionalLong v = opt64(TcpInfoLayout.RWND_LIMITED);
        return v.isPresent() ? Optional.of(micros(v.getAsLong())) : Optional.empty();
    }

    /** Time sending was limited by our send buffer (Linux 4.10). */
    public Optional<Duration> sendBufferLimited() {
        OptionalLong v = opt64(TcpInfoLayout.SNDBUF_LIMITED);
        return v.isPresent() ? Optional.of(micros(v.getAsLong())) : Optional.empty();
    }

    /** Data segments delivered, retransmissions included (Linux 4.18). */
    public OptionalLong delivered() {
        return opt32(TcpInfoLayout.DELIVERED);
    }

    /** Delivered segments that were ECN CE-marked (Linux 4.18). */
    public OptionalLong deliveredCe() {
        return opt32(TcpInfoLayout.DELIVERED_CE);
    }

    /** Bytes sent, retransmissions included (Linux 4.19). */
    public OptionalLong bytesSent() {
        return opt64(TcpInfoLayout.BYTES_SENT);
    }

    /** Bytes retransmitted (Linux 4.19). */
    public OptionalLong bytesRetransmitted() {
        return opt64(TcpInfoLayout.BYTES_RETRANS);
    }

    /** Duplicate segments reported by DSACK (Linux 4.19). */
    public OptionalLong dsackDuplicates() {
        return opt32(TcpInfoLayout.DSACK_DUPS);
    }

    /** Reordering events seen (Linux 4.19). */
    public OptionalLong reorderingSeen() {
        return opt32(TcpInfoLayout.REORD_SEEN);
    }

    /** Out-of-order packets received (Linux 5.4). */
    public OptionalLong receivedOutOfOrder() {
        return opt32(TcpInfoLayout.RCV_OOOPACK);
    }

    /** The peer's advertised receive window after scaling, in bytes (Linux 5.4). */
    public OptionalLong sendWindow() {
        return opt32(TcpInfoLayout.SND_WND);
    }

    /** Our advertised receive window after scaling, in bytes (Linux 6.2). */
    public OptionalLong receiveWindow() {
        return opt32(TcpInfoLayout.RCV_WND);
    }

    /** Rehash attempts after timeouts or PLB (Linux 6.2). */
    public OptionalLong rehash() {
        return opt32(TcpInfoLayout.REHASH);
    }

    /** Retransmission timeouts over the connection's life, SYN timeouts included (Linux 6.7). */
    public OptionalLong totalRtoTimeouts() {
        return opt16(TcpInfoLayout.TOTAL_RTO);
    }

    /** RTO recoveries, an unfinished one included (Linux 6.7). */
    public OptionalLong totalRtoRecoveries() {
        return opt16(TcpInfoLayout.TOTAL_RTO_RECOVERIES);
    }

    /** Time spent in RTO recoveries (Linux 6.7). */
    public Optional<Duration> totalRtoTime() {
        OptionalLong v = opt32(TcpInfoLayout.TOTAL_RTO_TIME);
        return v.isPresent() ? Optional.of(Duration.ofMillis(v.getAsLong())) : Optional.empty();
    }

    /** CE-marked segments received (Linux 6.18). */
    public OptionalLong receivedCe() {
        return opt32(TcpInfoLayout.RECEIVED_CE);
    }

    /** The raw bytes the kernel filled, for fields this class does not name. */
    public byte[] raw() {
        return raw.clone();
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("TcpInfo[").append(state()).append(" rtt:").append(u32(raw, TcpInfoLayout.RTT))
                .append('/').append(u32(raw, TcpInfoLayout.RTTVAR)).append("us rto:")
                .append(u32(raw, TcpInfoLayout.RTO)).append("us cwnd:").append(sendCwnd()).append(" unacked:")
                .append(unacked()).append(" lost:").append(lost()).append(" retrans:").append(retransmits()).append('/')
                .append(totalRetransmits());
        bytesAcked().ifPresent(v -> b.append(" bytes_acked:").append(v));
        bytesReceived().ifPresent(v -> b.append(" bytes_received:").append(v));
        notSentBytes().ifPresent(v -> b.append(" notsent:").append(v));
        return b.append(" lastrcv:").append(u32(raw, TcpInfoLayout.LAST_DATA_RECV)).append("ms len:").append(length)
                .append(']').toString();
    }

}
