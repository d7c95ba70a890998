package dev.teardown;

import dev.teardown.posix.Errno;
import java.io.IOException;

/**
 * A socket call failed. Carries the name of the libc call ({@code "connect"}, {@code "recv"}) and the
 * errno it returned, so the message reads like {@code connect to /127.0.0.1:9: ECONNREFUSED (Connection
 * refused)}. Subclasses exist where callers branch: {@link ConnectionRefusedException},
 * {@link ConnectionResetException}, {@link TimedOutException}, {@link AddressInUseException},
 * {@link AddressNotAvailableException}, {@link OutOfDescriptorsException}, {@link SocketClosedException}.
 */
public class TcpException extends IOException {
    private static final long serialVersionUID = 1L;

    /** The failing call, with its context. */
    private final String call;
    /** The errno it left. */
    private final int errno;

    /**
     * An exception for a call that failed with an errno.
     *
     * @param call  the failing call, optionally with context ("connect to /10.0.0.1:80")
     * @param errno the errno it returned, or 0 when the failure did not come from the kernel
     * @param message what went wrong, in words
     */
    protected TcpException(String call, int errno, String message) {
        super(call + ": " + message);
        this.call = call;
        this.errno = errno;
    }

    /** The libc call (with context) that failed. */
    public String call() {
        return call;
    }

    /** The errno the kernel returned, or 0 when the failure was detected by teardown itself. */
    public int errno() {
        return errno;
    }

    /** The symbolic errno name ("ECONNRESET"), or "none" when {@link #errno()} is 0. */
    public String errnoName() {
        return errno == 0 ? "none" : Errno.name(errno);
    }

    /**
     * The exception for {@code errno} returned by {@code call}: the subclass callers branch on
     * where there is one, otherwise a plain {@code TcpException}.
     */
    public static TcpException of(String call, int errno) {
        String text = Errno.name(errno) + " (" + Errno.describe(errno) + ")";
        if (errno == Errno.ECONNREFUSED) {
            return new ConnectionRefusedException(call, errno, text);
        }
        if (errno == Errno.ECONNRESET) {
            return new ConnectionResetException(call, errno, text);
        }
        if (errno == Errno.ETIMEDOUT) {
            return new TimedOutException(call, errno, text);
        }
        if (errno == Errno.EADDRINUSE) {
            return new AddressInUseException(call, errno, text);
        }
        if (errno == Errno.EADDRNOTAVAIL) {
            return new AddressNotAvailableException(call, errno, text + AddressNotAvailableException.hint(call));
        }
        if (errno == Errno.EMFILE || errno == Errno.ENFILE) {
            return new OutOfDescriptorsException(call, errno, text + OutOfDescriptorsException.HINT);
        }
        if (errno == Errno.EBADF) {
            return new SocketClosedException(call, errno, text);
        }
        return new TcpException(call, errno, text);
    }
}
