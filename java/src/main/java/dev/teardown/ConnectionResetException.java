package dev.teardown;

/** The peer reset the connection with RST (`ECONNRESET`): bytes it had not yet read, and bytes we had not yet sent, are lost. The next read on the socket usually returns end-of-stream. */
public class ConnectionResetException extends TcpException {
    private static final long serialVersionUID = 1L;

    ConnectionResetException(String call, int errno, String message) {
        super(call, errno, message);
    }
}
