package dev.teardown;

/** The peer answered the connection attempt with RST: nothing listens on that address and port (`ECONNREFUSED`). */
public class ConnectionRefusedException extends TcpException {
    private static final long serialVersionUID = 1L;

    ConnectionRefusedException(String call, int errno, String message) {
        super(call, errno, message);
    }
}
