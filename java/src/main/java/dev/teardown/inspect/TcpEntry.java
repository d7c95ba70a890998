package dev.teardown.inspect;

import dev.teardown.TcpInfo;
import dev.teardown.TcpState;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;

/**
 * One socket of the kernel's TCP table, as sock_diag ({@code inet_diag_msg}) or {@code /proc/net/tcp{,6}}
 * reports it: endpoints, state, the running timer and its time to expiry, queue sizes, owner uid and
 * inode. A snapshot value: it does not change when the socket does.
 *
 * <p>A v4-mapped IPv6 socket (the JDK's default) has {@link #isIpv6()} true and Inet4Address endpoints,
 * because {@link java.net.InetAddress} turns {@code ::ffff:a.b.c.d} into {@code a.b.c.d}.
 */
public final class TcpEntry {
    private final boolean ipv6;
    /** Local then remote address, network order: 4 + 4 bytes, or 16 + 16 for AF_INET6. */
    private final byte[] addresses;
    private final int localPort;
    private final int remotePort;
    private final TcpState state;
    private final TcpTimer timer;
    private final long timerMillis;
    private final int retransmits;
    private final long receiveQueue;
    private final long sendQueue;
    private final long uid;
    private final long inode;
    private final TcpInfo info;
    // Built on first use: a dump of 40,000 sockets should not allocate 160,000 address objects nobody reads.
    private InetSocketAddress local;
    private InetSocketAddress remote;

    /** {@code addresses}: local then remote, network order, 8 or 32 bytes; the entry keeps the array. */
    TcpEntry(boolean ipv6, byte[] addresses, int localPort, int remotePort, TcpState state, TcpTimer timer,
            long timerMillis, int retransmits, long receiveQueue, long sendQueue, long uid, long inode) {
        this(ipv6, addresses, localPort, remotePort, state, timer, timerMillis, retransmits, receiveQueue, sendQueue, uid,
                inode, null);
    }

    /** As above, with the socket's tcp_info from the same dump (null: none). */
    TcpEntry(boolean ipv6, byte[] addresses, int localPort, int remotePort, TcpState state, TcpTimer timer,
            long timerMillis, int retransmits, long receiveQueue, long sendQueue, long uid, long inode, TcpInfo info) {
        this.info = info;
        this.ipv6 = ipv6;
        this.addresses = addresses;
        this.localPort = localPort;
        this.remotePort = remotePort;
        this.state = state;
        this.timer = timer;
        this.timerMillis = timerMillis;
        this.retransmits = retransmits;
        this.receiveQueue = receiveQueue;
        this.sendQueue = sendQueue;
        this.uid = uid;
        this.inode = inode;
    }

    private InetSocketAddress address(int offset, int port) {
        int n = addresses.length / 2;
        byte[] a = new byte[n];
        System.arraycopy(addresses, offset, a, 0, n);
        try {
            return new InetSocketAddress(InetAddress.getByAddress(a), port);
        } catch (UnknownHostException e) {
            throw new AssertionError("4 or 16 bytes are always a valid address", e);
        }
    }

    /** The local address and port (wildcard address for a listener bound to any). */
    public InetSocketAddress local() {
        InetSocketAddress a = local;
        if (a == null) {
            a = address(0, localPort);
            local = a;
        }
        return a;
    }

    /** The peer's address and port (wildcard and port 0 for a listener). */
    public InetSocketAddress remote() {
        InetSocketAddress a = remote;
        if (a == null) {
            a = address(addresses.length / 2, remotePort);
            remote = a;
        }
        return a;
    }

    /** The local port. */
    public int localPort() {
        return localPort;
    }

    /** The peer's port (0 for a listener). */
    public int remotePort() {
        return remotePort;
    }

    /**
     * The state. A time-wait socket reports its substate: {@link TcpState#TIME_WAIT}, or
     * {@link TcpState#FIN_WAIT2} for an orphaned FIN_WAIT2, as {@code ss} does.
     */
    public TcpState state() {
        return state;
    }

    /** The socket's inode ({@code socket:[inode]} in /proc/PID/fd); 0 when no descriptor refers to it. */
    public long inode() {
        return inode;
    }

    /** True if some descriptor still refers to the socket (its inode is not 0). */
    public boolean hasDescriptor() {
        return inode != 0;
    }

    /** True for an AF_INET6 socket, including v4-mapped ones. */
    public boolean isIpv6() {
        return ipv6;
    }

    /** The timer running on the socket; {@link TcpTimer#OFF} if none. */
    public TcpTimer timer() {
        return timer;
    }

    /**
     * Time until {@link #timer()} fires, as the kernel reported it at the snapshot; {@link Duration#ZERO}
     * when no timer runs. For a TIME_WAIT entry this is its remaining life (at most 60 s). sock_diag reports
     * milliseconds, {@code /proc/net/tcp} hundredths of a second.
     */
    public Duration timerExpiry() {
        return Duration.ofMillis(timerMillis);
    }

    /** Retransmissions (or probes) counted by the running timer, the last number of {@code ss -o}'s timer. */
    public int timerRetransmits() {
        return retransmits;
    }

    /**
     * Bytes received and not read by the application; for LISTEN, connections waiting in the accept queue.
     * After the peer's FIN this includes one for the FIN itself until the application reads the end of stream
     * (as {@code ss} shows: a CLOSE_WAIT with Recv-Q 1 has not been read to the end).
     */
    public long receiveQueue() {
        return receiveQueue;
    }

    /**
     * Bytes sent and not yet acknowledged; for LISTEN, the backlog limit (sock_diag) or 0 (/proc).
     */
    public long sendQueue() {
        return sendQueue;
    }

    /** The uid that created the socket (0 for time-wait sockets). */
    public long uid() {
        return uid;
    }

    /**
     * The socket's {@code tcp_info} as the kernel reported it in the same dump, when the table was read with
     * {@link TcpTable#forEachWithInfo}; empty otherwise, and for time-wait and request sockets, which have none.
     */
    public Optional<TcpInfo> info() {
        return Optional.ofNullable(info);
    }

    /** True if this entry's local or remote port is {@code port}. */
    public boolean hasPort(int port) {
        return localPort == port || remotePort == port;
    }

    /** An address as ss prints it: {@code 127.0.0.1:80}, {@code [::1]:80}. */
    public static String format(InetSocketAddress a) {
        return formatHost(a.getAddress()) + ":" + a.getPort();
    }

    /**
     * A host as ss prints it: {@code 127.0.0.1}, {@code [::1]}, {@code [2001:db8::1:0:0:1]}: IPv6 in the
     * shortest form of RFC 5952 (the longest run of two or more zero groups, the first of equal runs, becomes
     * {@code ::}), without a scope.
     */
    public static String formatHost(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return address.getHostAddress();
        }
        byte[] b = address.getAddress();
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = (b[2 * i] & 0xff) << 8 | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder s = new StringBuilder("[");
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                s.append("::");
                i += bestLen - 1;
                continue;
            }
            if (s.length() > 1 && s.charAt(s.length() - 1) != ':') {
                s.append(':');
            }
            s.append(Integer.toHexString(g[i]));
        }
        return s.append(']').toString();
    }

    /** Like a line of {@code ss -tanoe}: state, queues, addresses, timer, uid, inode. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(state.ssName()).append(' ').append(receiveQueue).append(' ')
                .append(sendQueue).append(' ').append(format(local())).append(' ').append(format(remote()));
        if (timer != TcpTimer.OFF) {
            b.append(" timer:(").append(timer.ssName()).append(',').append(timerMillis).append("ms,")
                    .append(retransmits).append(')');
        }
        return b.append(" uid:").append(uid).append(" ino:").append(inode).toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TcpEntry e && e.ipv6 == ipv6 && e.localPort == localPort && e.remotePort == remotePort
                && Arrays.equals(e.addresses, addresses) && e.state == state && e.timer == timer && e.timerMillis == timerMillis
                && e.retransmits == retransmits && e.receiveQueue == receiveQueue && e.sendQueue == sendQueue
                && e.uid == uid && e.inode == inode;
    }

    @Override
    public int hashCode() {
        return ((Arrays.hashCode(addresses) * 31 + localPort) * 31 + remotePort) * 31 + state.hashCode() + Long.hashCode(inode);
    }
}
