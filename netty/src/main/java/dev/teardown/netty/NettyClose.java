package dev.teardown.netty;

import dev.teardown.CloseMode;
import dev.teardown.CloseOutcome;
import dev.teardown.posix.Errno;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * One close of a Netty TCP channel, run entirely on its event loop and never blocking it: every wait is an event
 * (a read, the peer's FIN, a write's completion) or a task scheduled on the loop (the deadline, linger's
 * send-queue checks). The socket is changed only through Netty (shutdownOutput, SO_LINGER, close); the descriptor
 * is only read ({@link Descriptor}).
 */
final class NettyClose {
    static final String DRAIN_HANDLER = "teardown-drain";

    private final SocketChannel ch;
    private final CloseMode mode;
    private final Promise<CloseOutcome> promise;
    private final Supplier<ChannelFuture> flush;
    private final Supplier<ChannelFuture> close;
    private final long start = System.nanoTime();
    private final CloseOutcome.Recorder r;
    private final Descriptor d;
    private long drained;
    private boolean finished;
    private boolean closing;
    private int lingerPhase;
    private long pause = 50_000;
    private ScheduledFuture<?> deadlineTask;

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
        this.r = CloseOutcome.record(mode, start).referencesLeft(0);
        this.d = new Descriptor(ch);
    }

    /** Starts the sequence; on the channel's event loop. */
    void start() {
        if (!ch.isOpen()) {
            promise.setFailure(new ClosedChannelException());
            return;
        }
        if (!ch.isActive()) {
            promise.setFailure(new IllegalStateException("the channel is not connected (" + ch + "): there is no"
                    + " connection to end; close it with channel.close()"));
            return;
        }
        try {
            switch (mode.kind()) {
                case RELEASE:
                    release();
                    break;
                case SHUTDOWN:
                    shutdown();
                    break;
                case ABORT:
                    abort(0);
                    break;
                case GRACEFUL:
                    deadlineTask = ch.eventLoop().schedule(this::deadlinePassed, mode.timeout().toNanos(), TimeUnit.NANOSECONDS);
                    if (d.endedByKernel()) {
                        closeAndFinish(r.alreadyEnded());
                        break;
                    }
                    // FIN after everything already written: wait until Netty has handed it all to the kernel
                    flush.get().addListener(f -> beginDrain());
                    break;
                case LINGER:
                    deadlineTask = ch.eventLoop().schedule(this::deadlinePassed, mode.timeout().toNanos(), TimeUnit.NANOSECONDS);
                    flush.get().addListener(f -> lingerStep());
                    break;
                default:
                    throw new AssertionError(mode);
            }
        } catch (RuntimeException failure) {
            fail(failure);
        }
    }

    private int soLinger() {
        Integer l = ch.config().getOption(ChannelOption.SO_LINGER);
        return l == null ? -1 : l;
    }

    private void release() {
        boolean finEarlier = ch.isOutputShutdown();
        boolean lingerZero = soLinger() == 0;
        int unread = d.unread();
        int unsent = unread > 0 || lingerZero ? d.unacknowledged() : 0;
        if (finEarlier) {
            r.finSentEarlier();
        }
        if (lingerZero) {
            r.rstByLingerZeroSetEarlier().unreadDiscarded(unread).unsentDiscarded(unsent);
        } else if (unread > 0) {
            r.rstByUnreadInput(unread).unsentDiscarded(unsent);
        } else if (!finEarlier) {
            r.finSent();
        }
        closeAndFinish(unknown(unread < 0));
    }

    private void shutdown() {
        boolean finEarlier = ch.isOutputShutdown();
        boolean ended = d.endedByKernel();
        ch.shutdown().addListener(f -> {
            int unread = d.unread();
            int unsent = unread > 0 ? d.unacknowledged() : 0;
            if (ended) {
                r.alreadyEnded();
            } else {
                if (finEarlier) {
                    r.finSentEarlier();
                } else {
                    r.finSent();
                }
                if (unread > 0) {
                    r.rstByUnreadInput(unread).unsentDiscarded(unsent);
                }
            }
            closeAndFinish(unknown(unread < 0));
        });
    }

    /** SO_LINGER {1,0} through Netty, then its close: RST, reporting what it discards. why: 0 ABORT, 1 deadline, 2 limit. */
    private void abort(int why) {
        if (closing) {
            return;
        }
        int unread = d.unread();
        int unsent = d.unacknowledged();
        ch.config().setOption(ChannelOption.SO_LINGER, 0);
        if (why == 1) {
            r.rstAtDeadline();
        } else if (why == 2) {
            r.rstAtDrainLimit();
        } else {
            if (ch.isOutputShutdown()) {
                r.finSentEarlier();
            }
            r.rstByAbort();
        }
        r.unreadDiscarded(unread).unsentDiscarded(unsent).drained(drained);
        closeAndFinish(unknown(unread < 0 || unsent < 0));
    }

    private CloseOutcome.Recorder unknown(boolean unknown) {
        if (unknown) {
            r.unreadDiscarded(-1).unsentDiscarded(-1).note("unread and unsent byte counts not known: " + d.unknownWhy());
        }
        return r;
    }

    // ---- graceful ----

    private void beginDrain() {
        if (finished || closing) {
            return;
        }
        if (!ch.isOpen()) {
            finish(r.note("closed by its owner before the drain began"));
            return;
        }
        if (ch.isOutputShutdown()) {
            r.finSentEarlier();
            drain();
        } else {
            ch.shutdownOutput().addListener(f -> {
                if (f.isSuccess()) {
                    r.finSent();
                }
                drain();
            });
        }
    }

    private void drain() {
        if (finished || closing) {
            return;
        }
        ch.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true); // the peer's FIN becomes an event, not a close
        ch.pipeline().addFirst(DRAIN_HANDLER, new Drainer());
        if (ch.isInputShutdown()) {
            peerFin();
            return;
        }
        ch.config().setAutoRead(true);
        ch.read();
    }

    /** Reads through the pipeline's head, discarding and counting; nothing reaches the application's handlers. */
    private final class Drainer extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf b) {
                drained += b.readableBytes();
            }
            ReferenceCountUtil.release(msg);
            if (!closing && drained > mode.maxDrainBytes()) {
                abort(2);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            // swallowed: the application's handlers are done with this channel
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                peerFin();
            } else {
                ctx.fireUserEventTriggered(evt);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (closing) {
                return;
            }
            r.drained(drained);
            int errno = cause instanceof IOException io ? errnoOf(io) : 0;
            closeAndFinish(errno != 0 ? r.drainEndedWith(errno) : r.note("the drain ended with " + cause));
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (!closing && !finished) {
                finish(r.drained(drained).note("closed by its owner during the drain (or the connection ended)"));
            }
            ctx.fireChannelInactive();
        }
    }

    private void peerFin() {
        if (closing) {
            return;
        }
        int unread = d.unread();
        if (unread > 0) {
            r.rstByUnreadInput(unread);
        }
        closeAndFinish(r.peerFinReceived().drained(drained));
    }

    private void deadlinePassed() {
        if (finished || closing) {
            return;
        }
        if (!ch.isOpen()) {
            finish(r.drained(drained).note("closed by its owner while teardown waited"));
            return;
        }
        abort(1);
    }

    // ---- linger ----

    private void lingerStep() {
        if (finished || closing) {
            return;
        }
        if (!ch.isOpen()) {
            finish(r.note("closed by its owner while lingering"));
            return;
        }
        if (d.fd() < 0) {
            if (ch.isOutputShutdown()) {
                r.finSentEarlier();
            } else {
                r.finSent();
            }
            closeAndFinish(r.unreadDiscarded(-1).unsentDiscarded(-1).note("the send queue could not be read ("
                    + d.unknownWhy() + "): closed without waiting for the acknowledgement"));
            return;
        }
        int q = d.unacknowledged();
        if (q > 0) {
            if (d.endedByKernel()) {
                closeAndFinish(r.alreadyEnded().note(q + " bytes were never acknowledged"));
            } else {
                ch.eventLoop().schedule(this::lingerStep, pause, TimeUnit.NANOSECONDS); // the deadline task ends it
                pause = Math.min(pause * 2, 10_000_000);
            }
            return;
        }
        if (lingerPhase == 0) {
            lingerPhase = 1;
            if (ch.isOutputShutdown()) {
                r.finSentEarlier();
                lingerStep();
                return;
            }
            int unread = d.unread();
            if (unread > 0) {
                closeAndFinish(r.rstByUnreadInput(unread).unsentDiscarded(0)); // RST instead of FIN, as TcpSocket's linger
                return;
            }
            ch.shutdownOutput().addListener(f -> {
                r.finSent();
                lingerStep(); // now wait for the FIN's acknowledgement
            });
            return;
        }
        int unread = d.unread();
        if (unread > 0) {
            r.rstByUnreadInput(unread).unsentDiscarded(0);
        }
        closeAndFinish(r);
    }

    // ---- completion ----

    private void closeAndFinish(CloseOutcome.Recorder done) {
        if (closing) {
            return;
        }
        closing = true;
        if (deadlineTask != null) {
            deadlineTask.cancel(false);
        }
        close.get().addListener(f -> {
            if (f.isSuccess()) {
                finish(done);
            } else {
                fail(f.cause());
            }
        });
    }

    private void finish(CloseOutcome.Recorder done) {
        if (finished) {
            return;
        }
        finished = true;
        closing = true;
        if (deadlineTask != null) {
            deadlineTask.cancel(false);
        }
        promise.trySuccess(done.done());
    }

    private void fail(Throwable failure) {
        finished = true;
        if (ch.isOpen()) {
            close.get(); // Netty's close runs once; a second call only returns its future
        }
        promise.tryFailure(failure);
    }

    private static int errnoOf(IOException e) {
        String m = String.valueOf(e.getMessage());
        return m.contains("Connection reset") ? Errno.ECONNRESET : m.contains("Broken pipe") ? Errno.EPIPE
                : m.contains("timed out") ? Errno.ETIMEDOUT : 0;
    }

    /** The flush used by a close started outside a pipeline: an empty write through the whole pipeline. */
    static ChannelFuture flushAll(SocketChannel ch) {
        return ch.writeAndFlush(Unpooled.EMPTY_BUFFER);
    }
}
