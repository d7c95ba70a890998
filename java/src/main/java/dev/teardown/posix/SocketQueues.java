package dev.teardown.posix;

/**
 * The TCP state of a socket descriptor (the first byte of TCP_INFO), a read that changes nothing. The caller keeps
 * the number valid for the duration of the call: a number that was closed may already name another file.
 */
public final class SocketQueues {
    private SocketQueues() {}

    /** The kernel's TCP state number (tcpi_state); -1 if it could not be read (not TCP, not Linux). */
    public static int tcpState(int fd) {
        if (!Os.LINUX) {
            return -1;
        }
        byte[] state = new byte[1];
        return Libc.getsockopt(fd, Os.IPPROTO_TCP, Os.TCP_INFO, state, new int[] {1}) < 0 ? -1 : state[0] & 0xff;
    }
}
