package dev.teardown.inspect;

import dev.teardown.TcpState;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Parses {@code /proc/thread-self/net/tcp} and {@code tcp6}: the table as the calling thread's network
 * namespace shows it ({@code /proc/self/net} would follow the thread-group leader's namespace instead).
 * Each line reads
 * <pre>
 *   sl  local_address rem_address   st tx_queue rx_queue tr tm-&gt;when retrnsmt   uid  timeout inode
 *    0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 ...
 * </pre>
 * where addresses are 32-bit words printed in host order (%08X each), ports and state in hex, the timer's
 * expiry in clock ticks of 1/100 s, and uid, probes and inode in decimal.
 */
final class ProcNetTcp {
    private ProcNetTcp() {}

    static final String TCP = "/proc/thread-self/net/tcp";
    static final String TCP6 = "/proc/thread-self/net/tcp6";

    static List<TcpEntry> read(Set<TcpState> states, int port) throws IOException {
        int mask = TcpTable.mask(states);
        if (states.contains(TcpState.SYN_RECV) || states.contains(TcpState.NEW_SYN_RECV)) {
            mask |= TcpState.SYN_RECV.mask() | TcpState.NEW_SYN_RECV.mask();
        }
        List<TcpEntry> out = new ArrayList<>();
        parse(readAll(TCP), false, mask, port, out);
        parse(readAll(TCP6), true, mask, port, out);
        return out;
    }

    /** Reads a /proc file to the end (its size is unknown in advance). */
    static byte[] readAll(String path) throws IOException {
        try (InputStream in = new FileInputStream(path)) {
            byte[] buf = new byte[64 * 1024];
            int n = 0;
            for (;;) {
                int r = in.read(buf, n, buf.length - n);
                if (r < 0) {
                    return n == buf.length ? buf : Arrays.copyOf(buf, n);
                }
                n += r;
                if (n == buf.length) {
                    buf = Arrays.copyOf(buf, buf.length * 2);
                }
            }
        }
    }

    /** Parser state over one file's bytes. */
    private static final class Cursor {
        final byte[] b;
        int p;

        Cursor(byte[] b) {
            this.b = b;
        }

        void spaces() {
            while (p < b.length && b[p] == ' ') {
                p++;
            }
        }

        long hex(int digits) throws IOException {
            long v = 0;
            for (int i = 0; i < digits; i++) {
                int c = p < b.length ? b[p++] : -1;
                int d;
                if (c >= '0' && c <= '9') {
                    d = c - '0';
                } else if (c >= 'A' && c <= 'F') {
                    d = c - 'A' + 10;
                } else if (c >= 'a' && c <= 'f') {
                    d = c - 'a' + 10;
                } else {
                    throw new IOException("malformed /proc/net/tcp line near byte " + (p - 1));
                }
                v = v << 4 | d;
            }
            return v;
        }

        long decimal() throws IOException {
            spaces();
            boolean neg = p < b.length && b[p] == '-';
            if (neg) {
                p++;
            }
            int start = p;
            long v = 0;
            while (p < b.length && b[p] >= '0' && b[p] <= '9') {
                v = v * 10 + (b[p++] - '0');
            }
            if (p == start) {
                throw new IOException("malformed /proc/net/tcp line near byte " + p);
            }
            return neg ? -v : v;
        }

        void expect(char c) throws IOException {
            if (p >= b.length || b[p] != c) {
                throw new IOException("malformed /proc/net/tcp line near byte " + p + ": expected '" + c + "'");
            }
            p++;
        }

        void nextLine() {
            while (p < b.length && b[p] != '\n') {
                p++;
            }
            p++;
        }

        /** Address words in host (little-endian) order, to network-order bytes. */
        void address(byte[] out, int words) throws IOException {
            for (int w = 0; w < words; w++) {
                long v = hex(8);
                out[w * 4] = (byte) v;
                out[w * 4 + 1] = (byte) (v >>> 8);
                out[w * 4 + 2] = (byte) (v >>> 16);
                out[w * 4 + 3] = (byte) (v >>> 24);
            }
        }
    }

    static void parse(byte[] text, boolean v6, int mask, int port, List<TcpEntry> out) throws IOException {
        Cursor c = new Cursor(text);
        c.nextLine(); // header
        int words = v6 ? 4 : 1;
        int n = words * 4;
        byte[] la = new byte[16];
        byte[] ra = new byte[16];
        while (c.p < text.length) {
            c.spaces();
            if (c.p >= text.length) {
                break;
            }
            while (c.p < text.length && text[c.p] != ':') {
                c.p++; // "sl"
            }
            c.expect(':');
            c.spaces();
            c.address(la, words);
            c.expect(':');
            int lport = (int) c.hex(4);
            c.expect(' ');
            c.address(ra, words);
            c.expect(':');
            int rport = (int) c.hex(4);
            c.expect(' ');
            int st = (int) c.hex(2);
            if ((mask & (1 << st)) == 0 || (port != 0 && lport != port && rport != port) || !TcpState.isKnown(st)) {
                c.nextLine();
                continue;
            }
            c.expect(' ');
            long tx = c.hex(8);
            c.expect(':');
            long rx = c.hex(8);
            c.expect(' ');
            int tr = (int) c.hex(2);
            c.expect(':');
            long ticks = c.hex(8);
            c.expect(' ');
            long retrnsmt = c.hex(8);
            long uid = c.decimal();
            long probes = c.decimal();
            long inode = c.decimal();
            c.nextLine();
            TcpState state = TcpState.of(st);
            if (state == TcpState.NEW_SYN_RECV) {
                state = TcpState.SYN_RECV;
            }
            int retrans = (int) (tr == 1 ? retrnsmt : tr == 2 || tr == 4 ? probes : 0);
            byte[] addresses = new byte[2 * n];
            System.arraycopy(la, 0, addresses, 0, n);
            System.arraycopy(ra, 0, addresses, n, n);
            out.add(new TcpEntry(v6, addresses, lport, rport, state, TcpTimer.of(tr),
                    tr == 0 ? 0 : ticks * 10, retrans, rx, state == TcpState.LISTEN ? 0 : tx, uid, inode));
        }
    }
}
