package dev.teardown;

/**
 * No local address or port could be assigned ({@code EADDRNOTAVAIL}). At {@code connect} this is the
 * symptom of ephemeral-port exhaustion: every port in {@code net.ipv4.ip_local_port_range} is held
 * towards this destination, usually by sockets in TIME_WAIT left by closing first on the client side.
 */
public class AddressNotAvailableException extends TcpException {
    private static final long serialVersionUID = 1L;

    static final String HINT = "; if this is connect(), the local ports towards this destination are"
            + " exhausted (see net.ipv4.ip_local_port_range and the TIME_WAIT count: let the server close"
            + " first, close with CloseMode.ABORT, or enable net.ipv4.tcp_tw_reuse)";

    AddressNotAvailableException(String call, int errno, String message) {
        super(call, errno, message);
    }
}
