package dev.teardown.inspect;

import dev.teardown.TcpInfo;
import dev.teardown.posix.JdkChannels;

import dev.teardown.TcpException;
import dev.teardown.posix.Errno;
import dev.teardown.posix.PeerPoll;
import dev.teardown.posix.Os;
import java.nio.channels.SocketChannel;

/**
 * Has the peer closed its side? A non-blocking check of the kernel's receive-shutdown flag: {@code poll}
 * with {@code POLLRDHUP} and a zero timeout, which reports it as soon as the peer's FIN has arrived, even
 * while data sent before the FIN is still unread (a {@code MSG_PEEK} read would see that data first).
 * Reads nothing and changes nothing on the descriptor.
 */
public final class PeerCheck {
    private PeerCheck() {}

    /**
     * True if the peer has sent FIN (or reset the connection), so nothing more will arrive after the data
     * already queued. Also true after a local {@code shutdown(SHUT_RD)}, which sets the same kernel flag.
     * The caller must keep {@code fd} open for the duration of the call.
     *
     * A descriptor that is not a socket (a file, a pipe) reads as not closed: poll cannot tell.
     *
     * @throws TcpException with EBADF (as SocketClosedException) if {@code fd} is not open or negative
     */
    public static boolean isPeerClosed(int fd) throws TcpException {
        if (Os.POLLRDHUP == 0) {
            throw new UnsupportedOperationException("POLLRDHUP is Linux-only; this is " + Os.KIND);
        }
        int r = PeerPoll.revents(fd);
        if (r < 0) {
            throw TcpException.of(fd < 0 ? "poll(POLLRDHUP) fd " + fd : "poll(POLLRDHUP)", -r);
        }
        return PeerPoll.peerClosed(r);
    }

    /**
     * As {@link #isPeerClosed(int)} for a JDK channel. Needs the JVM option
     * {@code --add-opens java.base/sun.nio.ch=ALL-UNNAMED} (see {@link dev.teardown.TcpInfo#of(SocketChannel)});
     * {@link dev.teardown.jdk.JdkSockets#isPeerClosed(SocketChannel)} answers the same without it.
     *
     * @throws IllegalStateException naming the option and {@code JdkSockets.isPeerClosed} when the JVM lacks the option
     */
    public static boolean isPeerClosed(SocketChannel channel) throws TcpException {
        int fd = JdkChannels.fd(channel, "dev.teardown.jdk.JdkSockets.isPeerClosed(channel)");
        boolean closed = isPeerClosed(fd);
        if (!channel.isOpen()) {
            throw TcpException.of("poll(POLLRDHUP) on a closed JDK channel", Errno.EBADF);
        }
        return closed;
    }
}
