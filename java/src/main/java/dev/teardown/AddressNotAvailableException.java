package dev.teardown;

/**
 * No local address or port could be assigned ({@code EADDRNOTAVAIL}). At {@code connect} this is the
 * symptom of ephemeral-port exhaustion: every port in {@code net.ipv4.ip_local_port_range} is held
 * towards this destination, usually by sockets in TIME_WAIT left by closing first on the client side.
 * At {@code bind} it means the address is not one of this network namespace's: the message says which.
 */
public class AddressNotAvailableException extends TcpException {
    private static final long serialVersionUID = 1L;

    private static final String CONNECT = "; the local ports towards this destination are exhausted (see"
            + " net.ipv4.ip_local_port_range and the TIME_WAIT count: let the server close first, close with"
            + " CloseMode.ABORT, or enable net.ipv4.tcp_tw_reuse)";
    private static final String BIND = "; the address is not one of this host's (network namespace's) addresses:"
            + " check `ip addr` (in a container, the container's own), bind the wildcard (0.0.0.0 or ::) instead, or,"
            + " for an address that comes up later, set net.ipv4.ip_nonlocal_bind=1 (an IPv6 address still in"
            + " duplicate address detection gives this for a second or two too)";

    /** The advice for the call that failed: connect's port exhaustion, bind's foreign address. */
    static String hint(String call) {
        if (call != null && call.startsWith("bind")) {
            return BIND;
        }
        if (call != null && call.startsWith("connect")) {
            return CONNECT;
        }
        return "; at connect() the local ports towards the destination are exhausted, at bind() the address is not"
                + " this host's";
    }

    AddressNotAvailableException(String call, int errno, String message) {
        super(call, errno, message);
    }
}
