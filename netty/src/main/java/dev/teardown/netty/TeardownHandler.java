package dev.teardown.netty;

import dev.teardown.CloseMode;
import dev.teardown.CloseOutcome;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.Promise;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Ends every connection of a pipeline with one close mode: each {@code close()} that reaches it (a handler's
 * {@code ctx.close()}, {@code channel.close()}, a {@code ChannelFutureListener.CLOSE}) runs the mode's sequence
 * instead of a plain close, on the event loop, as {@link NettyTeardown#close}. For an HTTP server, graceful after a
 * {@code Connection: close} response is nginx's lingering close: FIN after the whole response, the rest of the
 * request read and discarded up to a byte limit, RST at the deadline, instead of the RST a close with an unread
 * request sends, which can destroy the response in flight.
 *
 * <p>Each ended connection is reported: a {@link Closed} user event fired from this handler toward the tail,
 * and the {@link #counts()}. The peer's FIN is surfaced: the handler sets {@code ALLOW_HALF_CLOSURE}, so Netty no
 * longer closes a channel silently at the peer's FIN but fires {@link ChannelInputShutdownEvent}; a channel whose
 * handlers never close it then stays in CLOSE_WAIT, and {@link #closeWaits()} lists it.
 *
 * <p>Add it first ({@code pipeline.addFirst}) so that every close passes it; one instance may serve every channel.
 * Closes Netty makes internally (a failed write, an I/O error) do not pass the pipeline and are not changed.
 */
@ChannelHandler.Sharable
public final class TeardownHandler extends ChannelDuplexHandler {
    private static final AttributeKey<Boolean> CLOSING = AttributeKey.valueOf(TeardownHandler.class, "closing");

    /** Fired toward the tail once a connection has ended: what its close did. */
    public record Closed(CloseOutcome outcome) {}

    private final CloseMode mode;
    private final Counts counts = new Counts();
    private final Map<Channel, Long> peerClosedAt = new ConcurrentHashMap<>();

    /**
     * @param mode how every connection of the pipeline ends
     * @throws IllegalArgumentException if {@code mode} is null
     */
    public TeardownHandler(CloseMode mode) {
        if (mode == null) {
            throw new IllegalArgumentException("mode must not be null");
        }
        this.mode = mode;
    }

    /** What the ends of this handler's connections put on the wire, counted since it was made. */
    public Counts counts() {
        return counts;
    }

    /**
     * The open channels whose peer has sent FIN, with how long ago: connections in CLOSE_WAIT. A channel that stays
     * here is one no handler closes.
     */
    public Map<Channel, Duration> closeWaits() {
        long now = System.nanoTime();
        Map<Channel, Duration> out = new LinkedHashMap<>();
        peerClosedAt.forEach((ch, at) -> {
            if (ch.isOpen()) {
                out.put(ch, Duration.ofNanos(now - at));
            }
        });
        return out;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        ctx.channel().config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            peerClosedAt.putIfAbsent(ctx.channel(), System.nanoTime());
            counts.peerFins.incrementAndGet();
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        peerClosedAt.remove(ctx.channel());
        ctx.fireChannelInactive();
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        Channel channel = ctx.channel();
        if (Boolean.TRUE.equals(channel.attr(NettyTeardown.PASS).get()) || !(channel instanceof SocketChannel ch)
                || !channel.isActive()) {
            ctx.close(promise);
            return;
        }
        if (channel.attr(CLOSING).setIfAbsent(Boolean.TRUE) != null) {
            channel.closeFuture().addListener(f -> promise.trySuccess()); // a close already under way
            return;
        }
        Promise<CloseOutcome> done = ctx.executor().newPromise();
        done.addListener(f -> {
            if (f.isSuccess()) {
                CloseOutcome o = done.getNow();
                counts.add(o);
                ctx.fireUserEventTriggered(new Closed(o));
                promise.trySuccess();
            } else {
                counts.failed.incrementAndGet();
                promise.tryFailure(f.cause());
            }
        });
        try {
            new NettyClose(ch, mode, done, () -> ctx.writeAndFlush(Unpooled.EMPTY_BUFFER), ctx::close).start();
        } catch (RuntimeException | LinkageError e) {
            done.tryFailure(e); // the close promise fails rather than hang; the channel is closed plainly
            ctx.close();
        }
    }

    /** Counters of one handler's closes, by what went on the wire. Thread-safe. */
    public static final class Counts {
        private final AtomicLong fin = new AtomicLong();
        private final AtomicLong rst = new AtomicLong();
        private final AtomicLong nothing = new AtomicLong();
        private final AtomicLong deadlines = new AtomicLong();
        private final AtomicLong drainLimits = new AtomicLong();
        private final AtomicLong drained = new AtomicLong();
        final AtomicLong peerFins = new AtomicLong();
        final AtomicLong failed = new AtomicLong();

        Counts() {}

        void add(CloseOutcome o) {
            (o.rstSent() ? rst : o.sent() == CloseOutcome.Sent.FIN ? fin : nothing).incrementAndGet();
            if (o.deadlineExpired()) {
                deadlines.incrementAndGet();
            }
            if (o.drainLimitReached()) {
                drainLimits.incrementAndGet();
            }
            drained.addAndGet(o.bytesDrained());
        }

        /** Connections ended with a FIN and no RST. */
        public long fin() {
            return fin.get();
        }

        /** Connections ended with an RST (with or without a FIN before it). */
        public long rst() {
            return rst.get();
        }

        /** Closes that put nothing on the wire (the connection had already ended). */
        public long nothing() {
            return nothing.get();
        }

        /** RSTs because graceful's or linger's deadline passed. */
        public long deadlines() {
            return deadlines.get();
        }

        /** RSTs because graceful's drain limit was reached. */
        public long drainLimits() {
            return drainLimits.get();
        }

        /** Bytes read and discarded by graceful drains. */
        public long bytesDrained() {
            return drained.get();
        }

        /** Peer FINs seen (half-closures). */
        public long peerFins() {
            return peerFins.get();
        }

        /** Closes that failed with an exception. */
        public long failed() {
            return failed.get();
        }

        @Override
        public String toString() {
            return "fin " + fin + ", rst " + rst + " (deadline " + deadlines + ", drain limit " + drainLimits + "), nothing "
                    + nothing + ", failed " + failed + ", drained " + drained + " bytes, peer FINs " + peerFins;
        }
    }
}
