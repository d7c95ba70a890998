package dev.teardown;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * The port through which teardown closes a TCP socket that someone else owns (a JDK channel, a Netty channel, a
 * server framework's connection): what only the owner may do. Integrations implement it; applications use
 * {@code JdkSockets} or {@code NettyTeardown}, which do. {@link BorrowedSocket} runs the close modes against it:
 * the same steps as {@link TcpSocket#close(CloseMode)}, in one place.
 *
 * <p><b>Kernel effect.</b> teardown never closes the owner's descriptor number. It takes a reference of its own to
 * the socket ({@code fcntl(F_DUPFD_CLOEXEC)} of a number it then checks by getsockname/getpeername against
 * {@link #localAddress()} and {@link #remoteAddress()}), reads and drains through that reference, waits on it,
 * resets the connection through it when the mode calls for an RST ({@code connect(AF_UNSPEC)}, which sends the RST
 * at once even when the owner's own close is deferred), and changes the socket's state the owner tracks
 * (shutdown, SO_LINGER, the final close) only through these methods. Its own reference is closed last, so the
 * FIN or RST of the last close is what the outcome reports.
 */
public interface SocketOwner {
    /** What kind of socket this is, for the outcome, JFR and metrics: "jdk-channel", "netty-epoll", ... */
    String kind();

    /** The socket's local address while connected. */
    InetSocketAddress localAddress();

    /** The socket's remote address while connected. */
    InetSocketAddress remoteAddress();

    /**
     * The owner's own descriptor number for the socket (Netty's {@code UnixChannel.fd()} on its event loop, a JDK
     * channel's number read with {@code --add-opens}), or -1 when it is not known: then teardown finds the number
     * from the addresses and checks it. A number returned here must be the one the owner releases in its close, and
     * only after {@link #isOpen()} has turned false: teardown copies it and checks only that the owner is still open
     * afterwards.
     */
    int descriptorHint();

    /** True until the owner's close. */
    boolean isOpen();

    /** True if the owner has already shut down output (its FIN went out earlier). */
    boolean isOutputShutdown();

    /** shutdown(SHUT_WR) through the owner: FIN after everything written. */
    void shutdownOutput() throws IOException;

    /** shutdown(SHUT_RD) through the owner. */
    void shutdownInput() throws IOException;

    /** SO_LINGER {1, 0} through the owner, so that whichever close is last sends RST. */
    void setLingerZero() throws IOException;

    /**
     * The owner's own close of its descriptor (idempotent). Returns true if the owner's close(2) has happened or
     * follows at once on the calling thread's loop, false if it is deferred (a JDK channel registered with a
     * Selector keeps its number until that Selector's next select).
     */
    boolean release() throws IOException;

    /**
     * Bytes the owner read and discarded on teardown's behalf during a graceful drain (0 by default): an event loop
     * that still reads once when the peer's FIN arrives (Netty's epoll transport) counts them here.
     */
    default long drainedByOwner() {
        return 0;
    }

    /**
     * The errno of a read error the owner's event loop took during a graceful drain (a reset), which leaves the
     * engine's next read seeing only end of stream; 0 by default. {@link BorrowedSocket#errnoOf} maps an exception.
     */
    default int drainErrorByOwner() {
        return 0;
    }

    /** After a deferred {@link #release()}: true once the owner's close(2) has happened. */
    default boolean released() {
        return true;
    }
}
