package dev.teardown.undertow;

/**
 * XNIO does not let teardown reach a connection's {@link java.nio.channels.SocketChannel}: its public API has no
 * accessor, and the package-private one cannot be opened here (XNIO in a named module that does not open
 * {@code org.xnio.nio}, as under JBoss Modules; or a transport other than XNIO's NIO one). Thrown by
 * {@link LingeringClose#wrap} so that a server never runs believing its connections linger when they would be
 * closed plainly (RST with unread input).
 */
public final class UnreachableChannelException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    UnreachableChannelException(String message, Throwable cause) {
        super(message, cause);
    }
}
