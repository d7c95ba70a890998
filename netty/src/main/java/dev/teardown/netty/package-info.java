/**
 * teardown's close modes for Netty TCP channels (artifact {@code teardown-netty}; Netty 4.2 is provided by the
 * application): {@link dev.teardown.netty.NettyTeardown} closes one channel with any
 * {@link dev.teardown.CloseMode}, on its event loop and without blocking it; {@link dev.teardown.netty.TeardownHandler}
 * gives every channel of a server a close mode and counts what the closes sent.
 *
 * <p><b>Kernel effect.</b> The same as {@link dev.teardown.TcpSocket#close(dev.teardown.CloseMode)}: each mode's steps
 * are the core's, run through Netty's own API ({@code shutdownOutput}, {@code SO_LINGER}, {@code close}), so Netty
 * releases its descriptor exactly once; the descriptor is only read (FIONREAD, SIOCOUTQ, TCP_INFO).
 *
 * <!-- example: dev.teardown.netty.snippets.NettySnippets#close-channel, a copy JavadocExamplesTest keeps equal to that compiled, tested region -->
 * <pre>
 * Future&lt;CloseOutcome&gt; closed = NettyTeardown.close(channel, CloseMode.graceful(Duration.ofSeconds(5)));
 * closed.addListener(f -&gt; {                      // on the channel's event loop, once Netty has closed it
 *     if (f.isSuccess()) {
 *         CloseOutcome outcome = closed.getNow();
 *         System.out.println(outcome.sent() + ": " + outcome.detail());
 *     }
 * });
 * </pre>
 */
package dev.teardown.netty;
