package dev.teardown.posix;

/**
 * Byte offsets of Linux {@code struct tcp_info} (include/uapi/linux/tcp.h), and the getsockopt that
 * fills it. The struct only grows: the kernel copies {@code min(its size, our buffer)} bytes and returns
 * that length, so a field is present exactly when its end lies within the returned length. The offsets
 * below hold on every 64-bit Linux (all fields are naturally aligned, no padding); the size comment on
 * each group says which kernel added it.
 */
public final class TcpInfoLayout {
    private TcpInfoLayout() {}

    /** Buffer size teardown asks for: larger than any kernel's struct today (6.18: 280 bytes). */
    public static final int BUFFER_SIZE = 512;

    // u8 fields
    public static final int STATE = 0;
    public static final int CA_STATE = 1;
    public static final int RETRANSMITS = 2;
    public static final int PROBES = 3;
    public static final int BACKOFF = 4;
    public static final int OPTIONS = 5;
    /** snd_wscale in the low 4 bits, rcv_wscale in the high 4 bits. */
    public static final int WSCALE = 6;
    /** delivery_rate_app_limited in bit 0, fastopen_client_fail in bits 1-2. */
    public static final int APP_LIMITED_FASTOPEN = 7;

    // u32 fields
    public static final int RTO = 8;
    public static final int ATO = 12;
    public static final int SND_MSS = 16;
    public static final int RCV_MSS = 20;
    public static final int UNACKED = 24;
    public static final int SACKED = 28;
    public static final int LOST = 32;
    public static final int RETRANS = 36;
    public static final int FACKETS = 40;
    public static final int LAST_DATA_SENT = 44;
    public static final int LAST_ACK_SENT = 48;
    public static final int LAST_DATA_RECV = 52;
    public static final int LAST_ACK_RECV = 56;
    public static final int PMTU = 60;
    public static final int RCV_SSTHRESH = 64;
    public static final int RTT = 68;
    public static final int RTTVAR = 72;
    public static final int SND_SSTHRESH = 76;
    public static final int SND_CWND = 80;
    public static final int ADVMSS = 84;
    public static final int REORDERING = 88;
    public static final int RCV_RTT = 92;
    public static final int RCV_SPACE = 96;
    public static final int TOTAL_RETRANS = 100;
    /** End of the struct as it has been since Linux 2.6: every field before this is always present. */
    public static final int BASE_SIZE = 104;

    // Linux 3.15 - 4.6
    public static final int PACING_RATE = 104; // u64
    public static final int MAX_PACING_RATE = 112; // u64
    public static final int BYTES_ACKED = 120; // u64
    public static final int BYTES_RECEIVED = 128; // u64
    public static final int SEGS_OUT = 136;
    public static final int SEGS_IN = 140;
    public static final int NOTSENT_BYTES = 144;
    public static final int MIN_RTT = 148;
    public static final int DATA_SEGS_IN = 152;
    public static final int DATA_SEGS_OUT = 156;
    // Linux 4.9 - 4.10
    public static final int DELIVERY_RATE = 160; // u64
    public static final int BUSY_TIME = 168; // u64, microseconds
    public static final int RWND_LIMITED = 176; // u64, microseconds
    public static final int SNDBUF_LIMITED = 184; // u64, microseconds
    // Linux 4.18 - 5.5
    public static final int DELIVERED = 192;
    public static final int DELIVERED_CE = 196;
    public static final int BYTES_SENT = 200; // u64
    public static final int BYTES_RETRANS = 208; // u64
    public static final int DSACK_DUPS = 216;
    public static final int REORD_SEEN = 220;
    public static final int RCV_OOOPACK = 224;
    public static final int SND_WND = 228;
    // Linux 6.2 - 6.7
    public static final int RCV_WND = 232;
    public static final int REHASH = 236;
    public static final int TOTAL_RTO = 240; // u16
    public static final int TOTAL_RTO_RECOVERIES = 242; // u16
    public static final int TOTAL_RTO_TIME = 244; // milliseconds
    // Linux 6.18 (AccECN)
    public static final int RECEIVED_CE = 248;

    /** tcpi_options bits. */
    public static final int OPT_TIMESTAMPS = 1;
    public static final int OPT_SACK = 2;
    public static final int OPT_WSCALE = 4;
    public static final int OPT_ECN = 8;
    public static final int OPT_ECN_SEEN = 16;
    public static final int OPT_SYN_DATA = 32;
    public static final int OPT_USEC_TS = 64;

    /**
     * getsockopt(fd, IPPROTO_TCP, TCP_INFO) into {@code out} (at least {@link #BUFFER_SIZE} bytes). Returns
     * the length the kernel filled, or -1 with the errno in {@link Libc#errno()}.
     */
    public static int read(int fd, byte[] out) {
        int[] len = {out.length};
        if (Libc.getsockopt(fd, Os.IPPROTO_TCP, Os.TCP_INFO, out, len) < 0) {
            return -1;
        }
        return len[0];
    }

    public static int u8(byte[] b, int off) {
        return b[off] & 0xff;
    }

    public static int u16(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8;
    }

    public static long u32(byte[] b, int off) {
        return Sockaddr.getIntLE(b, off) & 0xffffffffL;
    }

    public static long u64(byte[] b, int off) {
        return (Sockaddr.getIntLE(b, off) & 0xffffffffL) | (long) Sockaddr.getIntLE(b, off + 4) << 32;
    }
}
