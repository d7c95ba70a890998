package dev.teardown.inspect;

import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;

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
    private final InetSocketAddress local;
    private final InetSocketAddress remote;
    private final TcpState state;
    private final TcpTimer timer;
    private final long timerMillis;
    private final int retransmits;
    private final long receiveQueue;
    private final long sendQueue;
    private final long uid;
    private final long inode;

    TcpEntry(boolean ipv6, InetSocketAddress local, InetSocketAddress remote, TcpState state, TcpTimer timer,
            long timerMillis, int retransmits, long receiveQueue, long sendQueue, long uid, long inode) {
        this.ipv6 = ipv6;
        this.local = local;
        this.remote = remote;
        this.state = state;
        this.timer = timer;
        this.timerMillis = timerMillis;
        this.retransmits = retransmits;
        this.receiveQueue = receiveQueue;
        this.sendQueue = sendQueue;
        this.uid = uid;
        this.inode = inode;
    }

    /** The local address and port (wildcard address for a listener bound to any). */
    public InetSocketAddress local() {
        return local;
    }

    /** The peer's address and port (wildcard and port 0 for a listener). */
    public InetSocketAddress remote() {
        return remote;
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

    /** True if this entry's local or remote port is {@code port}. */
    public boolean hasPort(int port) {
        return local.getPort() == port || remote.getPort() == port;
    }

    /** An address as ss prints it: {@code 127.0.0.1:80}, {@code [::1]:80}. */
    static String format(InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        if (a.getAddress() instanceof Inet6Address) {
            int pct = host.indexOf('%');
            host = "[" + (pct >= 0 ? host.substring(0, pct) : host) + "]";
        }
        return host + ":" + a.getPort();
    }

    /** Like a line of {@code ss -tanoe}: state, queues, addresses, timer, uid, inode. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(state.ssName()).append(' ').append(receiveQueue).append(' ')
                .append(sendQueue).append(' ').append(format(local)).append(' ').append(format(remote));
        if (timer != TcpTimer.OFF) {
            b.append(" timer:(").append(timer.ssName()).append(',').append(timerMillis).append("ms,")
                    .append(retransmits).append(')');
        }
        return b.append(" uid:").append(uid).append(" ino:").append(inode).toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TcpEntry e && e.ipv6 == ipv6 && e.local.equals(local) && e.remote.equals(remote)
                && e.state == state && e.timer == timer && e.timerMillis == timerMillis
                && e.retransmits == retransmits && e.receiveQueue == receiveQueue && e.sendQueue == sendQueue
                && e.uid == uid && e.inode == inode;
    }

    @Override
    public int hashCode() {
        return Objects.hash(local, remote, state, inode);
    }
}
