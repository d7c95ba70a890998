package dev.teardown;

/** The local address is already bound by another socket (`EADDRINUSE`); SO_REUSEADDR lets a listener bind over connections still in TIME_WAIT. */
public class AddressInUseException extends TcpException {
    private static final long serialVersionUID = 1L;

    AddressInUseException(String call, int errno, String message) {
        super(call, errno, message);
    }
}
