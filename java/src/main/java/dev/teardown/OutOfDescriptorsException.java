package dev.teardown;

/**
 * The process ({@code EMFILE}: {@code RLIMIT_NOFILE} reached) or the whole system ({@code ENFILE}:
 * {@code fs.file-max} reached) has no descriptor left. Nothing was consumed: at {@code accept} the
 * connection stays queued in the backlog, so retrying at once would fail again and spin:
 * {@link TcpListener#accept()} therefore pauses before it throws this (a growing pause, 5 ms to 1 s; see
 * {@link TcpListener}), and a loop that logs and retries is enough. Then close something (the sockets stuck in
 * CLOSE_WAIT first), or raise the limit ({@code ulimit -n}, systemd {@code LimitNOFILE=}). An accept loop that
 * survives it:
 * <!-- example: dev.teardown.snippets.ServerSnippets#accept-loop, a copy JavadocExamplesTest keeps equal to that compiled, tested region -->
 * <pre>
 * for (;;) {
 *     TcpSocket connection;
 *     try {
 *         connection = listener.accept();
 *     } catch (SocketClosedException e) {
 *         break;                                   // the listener was closed: the server stops
 *     } catch (OutOfDescriptorsException e) {
 *         System.err.println(e.getMessage());      // accept() has already paused: retrying does not spin
 *         continue;
 *     } catch (TcpException e) {
 *         System.err.println(e.getMessage());      // ENOBUFS, ENOMEM (paused too), or another errno
 *         continue;
 *     }
 *     workers.execute(() -&gt; {
 *         try (connection) {                       // close() with the listener's accepted close mode
 *             handle.accept(connection);
 *         }
 *     });
 * }
 * </pre>
 */
public class OutOfDescriptorsException extends TcpException {
    private static final long serialVersionUID = 1L;

    static final String HINT = "; no descriptor left (the connection, if any, stays queued): back off before"
            + " retrying, close sockets (those in CLOSE_WAIT first) or raise the limit (ulimit -n / LimitNOFILE=)";

    OutOfDescriptorsException(String call, int errno, String message) {
        super(call, errno, message);
    }
}
