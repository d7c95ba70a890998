package dev.teardown;

/**
 * The process ({@code EMFILE}: {@code RLIMIT_NOFILE} reached) or the whole system ({@code ENFILE}:
 * {@code fs.file-max} reached) has no descriptor left. Nothing was consumed: at {@code accept} the
 * connection stays queued in the backlog, so retrying at once fails again and spins. Back off, close
 * something (the sockets stuck in CLOSE_WAIT first), or raise the limit ({@code ulimit -n}, systemd
 * {@code LimitNOFILE=}). An accept loop that survives it:
 *
 * <pre>{@code
 * while (running) {
 *     try {
 *         handle(listener.accept());
 *     } catch (OutOfDescriptorsException e) {
 *         log.warn(e.getMessage());
 *         Thread.sleep(100);          // let other connections finish; the client waits in the backlog
 *     }
 * }
 * }</pre>
 */
public class OutOfDescriptorsException extends TcpException {
    private static final long serialVersionUID = 1L;

    static final String HINT = "; no descriptor left (the connection, if any, stays queued): back off before"
            + " retrying, close sockets (those in CLOSE_WAIT first) or raise the limit (ulimit -n / LimitNOFILE=)";

    OutOfDescriptorsException(String call, int errno, String message) {
        super(call, errno, message);
    }
}
