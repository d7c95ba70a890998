package dev.teardown;

/**
 * The handle was closed: before the call, or by another thread while the call was blocked. Nothing
 * was put on the wire by the failed call. teardown never passes a released descriptor number to
 * the kernel, so this is reported instead of the {@code EBADF} a raw call would risk.
 */
public class SocketClosedException extends TcpException {
    private static final long serialVersionUID = 1L;

    SocketClosedException(String call, int errno, String message) {
        super(call, errno, message);
    }

    static SocketClosedException closed(String call, String what) {
        return new SocketClosedException(call, 0, what + " is closed");
    }
}
