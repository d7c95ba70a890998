package dev.teardown.netty;

import dev.teardown.BorrowedSocket;
import dev.teardown.CloseMode;
import dev.teardown.CloseOutcome;
import dev.teardown.SocketOwner;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Promise;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.function.Supplier;

/**
 * A Netty TCP channel as the owner teardown's close engine acts through ({@link SocketOwner}): the modes' steps
 * are the core's ({@link BorrowedSocket}), run on the channel's event loop and never blocking it. What only Netty
 * may do goes through Netty: the flush before a graceful or linger close, shutdownOutput, SO_LINGER and the final
 * close (so Netty releases its descriptor once). The drain reads through teardown's own reference with Netty's
 * auto-read off; a read Netty still makes when the peer's FIN arrives (epoll) is discarded and counted here.
 */
final class NettyClose implements SocketOwner {
    static final String DRAIN_HANDLER = "teardown-drain";

    private final SocketChannel ch;
    private final CloseMode mode;
    private final Promise<CloseOutcome> promise;
    private final Supplier<ChannelFuture> flush;
    private final Supplier<ChannelFuture> close;
    private final InetSocketAddress local;
    private final InetSocketAddress remote;
    private long drainedByNetty;
    private int errorSeenByNetty;

    /**
     * @param flush writes nothing and flushes, completing once everything written before has reached the kernel
     * @param close Netty's own close, bypassing teardown's handler
     */
    NettyClose(SocketChannel ch, CloseMode mode, Promise<CloseOutcome> promise, Supplier<ChannelFuture> flush,
            Supplier<ChannelFuture> close) {
        this.ch = ch;
        this.mode = mode;
        this.promise = promise;
        this.flush = flush;
        this.close = close;
        this.local = ch.localAddress();
        this.remote = ch.remoteAddress();
    }

    /** Starts the close; on the channel's event loop. */
    void start() {
        if (!ch.isOpen()) {
            promise.setFailure(new ClosedChannelException());
            return;
        }
        if (!ch.isActive() || remote == null) {
            promise.setFailure(new IllegalStateException("the channel is not connected (" + ch + "): there is no"
                    + " connection to end; close it with channel.close()"));
            return;
        }
        CloseMode.Kind k = mode.kind();
        if (k == CloseMode.Kind.GRACEFUL || k == CloseMode.Kind.LINGER) {
            // FIN after everything already written: wait until Netty has handed it all to the kernel
            flush.get().addListener(f -> engine());
        } else {
            engine();
        }
    }

    private void engine() {
        if (!ch.isOpen()) {
            promise.tryFailure(new ClosedChannelException());
            return;
        }
        try {
            ch.config().setAutoRead(false);
            if (mode.kind() == CloseMode.Kind.GRACEFUL) {
                ch.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true); // the peer's FIN must not close it
                ch.pipeline().addFirst(DRAIN_HANDLER, new Drainer());
            }
        } catch (RuntimeException e) {
            promise.tryFailure(e);
            return;
        }
        BorrowedSocket.closeAsync(this, mode, ch.eventLoop()).whenComplete((o, failure) -> {
            if (failure != null) {
                if (ch.isOpen()) {
                    close.get(); // never leave the channel open; Netty's close runs once
                }
                promise.tryFailure(failure instanceof java.util.concurrent.CompletionException c && c.getCause() != null
                        ? c.getCause() : failure);
            } else {
                promise.trySuccess(o);
            }
        });
    }

    /** Discards and counts what Netty still reads during the drain; nothing reaches the application's handlers. */
    private final class Drainer extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf b) {
                drainedByNetty += b.readableBytes();
            }
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            // swallowed: the application's handlers are done with this channel
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            ReferenceCountUtil.release(evt); // the peer's FIN (ChannelInputShutdownEvent) and the like: the engine sees it
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof IOException io && errorSeenByNetty == 0) {
                errorSeenByNetty = BorrowedSocket.errnoOf(io); // Netty's read took the error; the engine's next read sees only EOF
            }
        }
    }

    // ---- SocketOwner: only what Netty must do ----

    @Override
    public String kind() {
        String n = ch.getClass().getName();
        return n.contains("Epoll") ? "netty-epoll" : n.contains("IoUring") || n.contains("IOUring") ? "netty-io_uring"
                : n.contains("Kqueue") || n.contains("KQueue") ? "netty-kqueue" : "netty-nio";
    }

    @Override
    public InetSocketAddress localAddress() {
        return local;
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return remote;
    }

    @Override
    public int descriptorHint() {
        // on the event loop, which is where Netty closes it: the number names the channel's socket for this call
        return UnixFd.of(ch);
    }

    @Override
    public boolean isOpen() {
        return ch.isOpen();
    }

    @Override
    public boolean isOutputShutdown() {
        return ch.isOutputShutdown();
    }

    @Override
    public void shutdownOutput() throws IOException {
        check(ch.shutdownOutput(), "shutdownOutput");
    }

    @Override
    public void shutdownInput() throws IOException {
        check(ch.shutdownInput(), "shutdownInput");
    }

    @Override
    public void setLingerZero() throws IOException {
        if (!ch.config().setOption(ChannelOption.SO_LINGER, 0)) {
            throw new IOException("Netty did not take SO_LINGER 0 on " + ch);
        }
    }

    /**
     * Netty's close. On epoll it releases the number at once. On NIO the JDK keeps the number of a channel registered
     * with a Selector until that Selector's next select: on the loop, a selectNow on Netty's selector (which Netty
     * itself does between tasks) flushes the cancelled key, so the JDK's close(2) happens here, before teardown's
     * reference is closed; a leftover readiness event is found again by the next select (level-triggered).
     */
    @Override
    public boolean release() {
        java.nio.channels.SelectionKey key = NioInternals.selectionKey(ch);
        close.get();
        if (key != null && ch.eventLoop().inEventLoop()) {
            try {
                key.selector().selectNow();
            } catch (IOException | RuntimeException e) {
                // the JDK closes the number at Netty's next select instead; released() tells when
            }
        }
        return released();
    }

    @Override
    public boolean released() {
        java.nio.channels.SocketChannel jdk = NioInternals.javaChannel(ch);
        return jdk == null || !jdk.isRegistered();
    }

    @Override
    public long drainedByOwner() {
        return drainedByNetty;
    }

    @Override
    public int drainErrorByOwner() {
        return errorSeenByNetty;
    }

    private static void check(ChannelFuture f, String what) throws IOException {
        if (f.isDone() && !f.isSuccess()) {
            Throwable c = f.cause();
            throw c instanceof IOException io ? io : new IOException(what + " failed", c);
        }
    }

    /** The flush used by a close started outside a pipeline: an empty write through the whole pipeline. */
    static ChannelFuture flushAll(SocketChannel ch) {
        return ch.writeAndFlush(Unpooled.EMPTY_BUFFER);
    }

    @Override
    public String toString() {
        return ch.toString();
    }
}
