package dev.teardown;

/**
 * A call did not complete in time: either the deadline the caller gave passed (errno 0), or the
 * kernel gave up on the connection ({@code ETIMEDOUT}: retransmissions or keepalive probes went
 * unanswered, or {@code TCP_USER_TIMEOUT} expired).
 */
public class TimedOutException extends TcpException {
    private static final long serialVersionUID = 1L;

    TimedOutException(String call, int errno, String message) {
        super(call, errno, message);
    }
}
