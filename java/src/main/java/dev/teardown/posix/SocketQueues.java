package dev.teardown.posix;

/**
 * Read-only queries on a socket descriptor that teardown may not own (a JDK or Netty socket): the bytes
 * queued unread (FIONREAD), the bytes written but not yet acknowledged (SIOCOUTQ) and the TCP state (the
 * first byte of TCP_INFO). None changes the socket. The caller keeps the number valid for the duration of
 * the call: a number that was closed may already name another file.
 */
public final class SocketQueues {
    private SocketQueues() {}

    /** The kernel's TCP_CLOSE (tcpi_state): the connection was reset or timed out. */
    public static final int TCP_CLOSE = 7;

    /** Bytes received and not yet read (FIONREAD); -1 if the call failed. */
    public static int unread(int fd) {
        Buffers.Cell n = Buffers.cell();
        return Libc.ioctl(fd, Os.FIONREAD, n.address) < 0 ? -1 : n.getInt(0);
    }

    /** Bytes written and not yet acknowledged by the peer, a sent FIN counting one (SIOCOUTQ); -1 if unknown. */
    public static int unacknowledged(int fd) {
        if (Os.SIOCOUTQ < 0) {
            return -1;
        }
        Buffers.Cell n = Buffers.cell();
        return Libc.ioctl(fd, Os.SIOCOUTQ, n.address) < 0 ? -1 : n.getInt(0);
    }

    /** The kernel's TCP state number (tcpi_state); -1 if it could not be read (not TCP, not Linux). */
    public static int tcpState(int fd) {
        if (!Os.LINUX) {
            return -1;
        }
        byte[] state = new byte[1];
        return Libc.getsockopt(fd, Os.IPPROTO_TCP, Os.TCP_INFO, state, new int[] {1}) < 0 ? -1 : state[0] & 0xff;
    }
}
