/**
 * The core: TCP sockets whose close is a named choice, each mode defined by what it puts on the wire and what it
 * leaves behind in the kernel.
 *
 * <ul>
 * <li>{@link dev.teardown.TcpSocket}: a connected socket that teardown owns (connect, read, write, options,
 *   {@code dup}); {@link dev.teardown.TcpListener}: a listening socket whose accept parks a virtual thread and backs
 *   off when descriptors run out.</li>
 * <li>{@link dev.teardown.CloseMode}: RELEASE ({@code close(2)}), SHUTDOWN (FIN for every holder, the CLOSE_WAIT
 *   leak's fix), ABORT (RST, no TIME_WAIT), graceful (FIN, read to the peer's FIN, close: nothing lost) and linger
 *   (FIN once our data is acknowledged); {@link dev.teardown.CloseOutcome}: what a close sent (FIN, RST, nothing),
 *   what it discarded and why, in a sentence.</li>
 * <li>{@link dev.teardown.TcpOption}: the socket options that decide a close's cost (SO_LINGER, TCP_LINGER2,
 *   keepalive, TCP_USER_TIMEOUT), checked before they reach the kernel; {@link dev.teardown.TcpInfo} and
 *   {@link dev.teardown.TcpState}: the kernel's view of one connection.</li>
 * <li>{@link dev.teardown.TcpException} and its subclasses: every failed call named with its errno, subclassed
 *   where callers branch (reset, refused, timed out, address in use or not available, out of descriptors,
 *   closed).</li>
 * </ul>
 *
 * <p><b>Kernel effect.</b> Every descriptor is close-on-exec; waiting is parking on teardown's poller (no native
 * call blocks a carrier thread); a handle releases its descriptor exactly once. Sockets that teardown does not own
 * (the JDK's, Netty's) are closed with the same modes through {@code dev.teardown.jdk.JdkSockets} and
 * {@code dev.teardown.netty.NettyTeardown}.
 *
 * <!-- example: dev.teardown.snippets.CloseSnippets#close, a copy JavadocExamplesTest keeps equal to that compiled, tested region -->
 * <pre>
 * TcpSocket socket = TcpSocket.connect(server);
 * socket.write(ByteBuffer.wrap("PING\n".getBytes(StandardCharsets.US_ASCII)));
 * // FIN now, read what the peer still sends (up to 2 s), then close: nothing it sent is lost
 * CloseOutcome outcome = socket.close(CloseMode.graceful(Duration.ofSeconds(2)));
 * switch (outcome.sent()) {
 *     case FIN -&gt; System.out.println("orderly: " + outcome.detail());
 *     case RST, FIN_THEN_RST -&gt; System.out.println("reset: " + outcome.detail());
 *     case NOTHING -&gt; System.out.println("another holder keeps it open: " + outcome.referencesLeft());
 * }
 * </pre>
 */
package dev.teardown;
