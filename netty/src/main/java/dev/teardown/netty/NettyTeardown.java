package dev.teardown.netty;

import dev.teardown.CloseMode;
import dev.teardown.CloseOutcome;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.AttributeKey;
import java.nio.channels.ClosedChannelException;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.concurrent.Promise;

/**
 * teardown's close modes for Netty TCP channels (epoll, io_uring, NIO). Each mode puts on the wire what
 * {@link dev.teardown.TcpSocket#close(CloseMode)} puts: RELEASE a FIN (RST if input is unread), SHUTDOWN a FIN at
 * once, ABORT only an RST (SO_LINGER {1,0}), graceful a FIN after everything written, then a drain through the
 * pipeline's reads to the peer's FIN (RST at the deadline or drain limit), linger a FIN once the send queue is
 * acknowledged (RST at the deadline).
 *
 * <p>Everything runs on the channel's event loop and never blocks it: the drain is driven by Netty's reads, the
 * deadline and linger's send-queue checks (SIOCOUTQ) are tasks scheduled on the loop. The channel is changed
 * only through Netty (shutdownOutput, SO_LINGER, close, so Netty releases its descriptor once); the descriptor is
 * only read: {@code UnixChannel.fd()} for epoll and io_uring, the JDK channel's descriptor for NIO (see
 * {@link dev.teardown.jdk.JdkSockets}). For a whole server, add a {@link TeardownHandler} instead.
 *
 * <p>Closing a channel with a mode:
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
public final class NettyTeardown {
    private NettyTeardown() {}

    /** Set on a channel whose close must pass a {@link TeardownHandler} unchanged (teardown's own final close). */
    static final AttributeKey<Boolean> PASS = AttributeKey.valueOf(NettyTeardown.class, "pass");

    /**
     * Ends the connection of {@code channel} with {@code mode} and closes the channel. Callable from any thread;
     * the work runs on the channel's event loop. The future completes with the outcome once Netty has closed
     * the channel; it fails with {@link java.nio.channels.ClosedChannelException} if the channel was already
     * closed (nothing is done) and with {@link IllegalStateException} if it was never connected.
     *
     * @throws IllegalArgumentException if an argument is null or the channel is not a TCP
     *     {@link io.netty.channel.socket.SocketChannel} (a {@code LocalChannel}, an {@code EmbeddedChannel}, a
     *     Unix-domain channel)
     * @throws IllegalStateException if the channel is not registered with an event loop
     */
    public static Future<CloseOutcome> close(Channel channel, CloseMode mode) {
        if (mode == null) {
            throw new IllegalArgumentException("mode must not be null");
        }
        if (channel instanceof SocketChannel && !channel.isOpen()) {
            return ImmediateEventExecutor.INSTANCE.newFailedFuture(new ClosedChannelException()); // deregistered: no loop
        }
        SocketChannel ch = tcp(channel);
        EventLoop loop = ch.eventLoop();
        Promise<CloseOutcome> p = loop.newPromise();
        Runnable run = () -> {
            try {
                new NettyClose(ch, mode, p, () -> NettyClose.flushAll(ch), () -> {
                    ch.attr(PASS).set(Boolean.TRUE);
                    return ch.close();
                }).start();
            } catch (Throwable t) {
                p.tryFailure(t); // never leave the caller's future pending
                if (t instanceof Error e && !(t instanceof LinkageError)) {
                    throw e;
                }
            }
        };
        if (loop.inEventLoop()) {
            run.run();
        } else {
            loop.execute(run);
        }
        return p;
    }

    static SocketChannel tcp(Channel channel) {
        if (channel == null) {
            throw new IllegalArgumentException("channel must not be null");
        }
        if (!(channel instanceof SocketChannel ch)) {
            throw new IllegalArgumentException("not a TCP channel: " + channel.getClass().getName() + " (" + channel
                    + "); teardown's close modes need a TCP socket (an epoll, io_uring or NIO SocketChannel)");
        }
        if (!ch.isRegistered()) {
            throw new IllegalStateException("the channel is not registered with an event loop (" + ch + ")");
        }
        return ch;
    }
}
