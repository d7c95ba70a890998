/**
 * Close modes and kernel views for the JDK's own TCP sockets, {@link java.nio.channels.SocketChannel} and
 * {@link java.net.Socket}: {@link dev.teardown.jdk.JdkSockets} closes them with any
 * {@link dev.teardown.CloseMode} (the same wire effect as on a {@link dev.teardown.TcpSocket}), reads their
 * TCP_INFO, state, peer FIN and owners, and needs no JVM option: the descriptor is found by sock_diag and
 * {@code /proc/self/fd} (or, with {@code --add-opens java.base/sun.nio.ch=ALL-UNNAMED}, read directly).
 *
 * <p><b>Kernel effect.</b> The socket stays the JDK's: teardown changes it only through the JDK's public API
 * ({@code shutdownOutput}, {@code SO_LINGER}, {@code close}), so the JDK's close runs exactly once; the descriptor
 * is only read (FIONREAD, SIOCOUTQ, TCP_INFO).
 *
 * <!-- example: dev.teardown.snippets.JdkSnippets#close-channel, a copy JavadocExamplesTest keeps equal to that compiled, tested region -->
 * <pre>
 * CloseOutcome outcome = JdkSockets.close(channel, CloseMode.SHUTDOWN);
 * // the channel is closed (channel.isOpen() is false); outcome.sent() says what went on the wire
 * </pre>
 */
package dev.teardown.jdk;
