package dev.teardown.undertow;

import dev.teardown.CloseMode;
import dev.teardown.CloseOutcome;
import dev.teardown.jdk.JdkSockets;
import io.undertow.server.ConduitWrapper;
import io.undertow.server.ExchangeCompletionListener;
import io.undertow.server.Connectors;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.protocol.http.HttpServerConnection;
import io.undertow.util.AttachmentKey;
import io.undertow.util.Headers;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.xnio.IoUtils;
import org.xnio.StreamConnection;
import org.xnio.channels.StreamSinkChannel;
import org.xnio.conduits.AbstractStreamSourceConduit;
import org.xnio.conduits.StreamSourceConduit;

/**
 * nginx's lingering close for an Undertow 2.3 server, in one line:
 * {@code Undertow.builder().setHandler(LingeringClose.wrap(app))}.
 *
 * <p><b>Kernel effect.</b> When a response is complete and the request body is still unread (an upload rejected with
 * 413, 401...), Undertow drains the rest itself and keeps the connection when the body is within its
 * {@code MAX_ENTITY_SIZE} (left to it); when it gives up (a larger or chunked body, or a connection it will not keep) it
 * closes the connection with the upload still arriving: the kernel sends RST and the client may lose the end of
 * the response. With this wrapper the request's channel ends there (Undertow's drain sees its end), the connection
 * is no longer persistent, and teardown's graceful close ({@link JdkSockets#closeAsync(SelectionKey, CloseMode)})
 * ends it: FIN after the whole response, the rest of the request read and discarded until the client's FIN, RST
 * only past the lingering time or the byte limit. The close starts on the connection's own XNIO I/O thread, after
 * reads and writes are suspended through XNIO's public API, so XNIO never touches the cancelled key; the exchange
 * is completed ({@code Connectors.terminateRequest}) only when teardown's close has finished, so Undertow's own
 * close finds the channel closed. A keep-alive request without a body (the common GET) is not touched at all; one
 * with a body costs a conduit wrapper and a completion listener.
 *
 * <p><b>XNIO's limits.</b> XNIO has no public accessor for a connection's {@link SocketChannel} or selection key: they
 * are read through its package-private {@code getChannel()} and {@code getSelectionKey()} (the class path, where
 * XNIO is an unnamed module). Where that access is impossible, {@link #wrap} throws
 * {@link UnreachableChannelException} instead of leaving connections to a plain close unannounced.
 *
 * <p><b>Left to Undertow.</b> TLS, HTTP/2, upgraded exchanges (WebSocket), a connection already closed, and a
 * connection of another transport: counted in {@link #leftToUndertow()}. A persistent request without a body that
 * the application turns non-persistent is closed by Undertow: nothing is unread, so no RST.
 */
public final class LingeringClose implements HttpHandler {
    /** How long a connection may linger after its response: 30 s, nginx's {@code lingering_time}. */
    public static final Duration DEFAULT_LINGERING_TIME = Duration.ofSeconds(30);
    /** Bytes of the unread request read and discarded before the connection is reset: 64 MiB. */
    public static final long DEFAULT_MAX_DRAIN_BYTES = 64L << 20;

    private static final MethodHandle CHANNEL;
    private static final MethodHandle CONDUIT;
    private static final MethodHandle KEY;
    private static final RuntimeException UNREACHABLE;

    static {
        MethodHandle channel = null;
        MethodHandle conduit = null;
        MethodHandle key = null;
        RuntimeException why = null;
        try {
            Class<?> conn = Class.forName("org.xnio.nio.NioSocketStreamConnection");
            Class<?> handle = Class.forName("org.xnio.nio.NioHandle");
            var getChannel = conn.getDeclaredMethod("getChannel");
            var getConduit = conn.getDeclaredMethod("getConduit");
            var getKey = handle.getDeclaredMethod("getSelectionKey");
            getChannel.setAccessible(true);
            getConduit.setAccessible(true);
            getKey.setAccessible(true);
            MethodHandles.Lookup l = MethodHandles.lookup();
            channel = l.unreflect(getChannel).asType(MethodType.methodType(SocketChannel.class, Object.class));
            conduit = l.unreflect(getConduit).asType(MethodType.methodType(Object.class, Object.class));
            key = l.unreflect(getKey).asType(MethodType.methodType(SelectionKey.class, Object.class));
        } catch (ReflectiveOperationException | RuntimeException e) {
            why = new UnreachableChannelException("teardown-undertow cannot reach XNIO's SocketChannel "
                    + "(org.xnio.nio.NioSocketStreamConnection.getChannel and NioHandle.getSelectionKey): " + e
                    + "; connections cannot linger (on a module path, open org.xnio.nio to dev.teardown.undertow)", e);
        }
        CHANNEL = channel;
        CONDUIT = conduit;
        KEY = key;
        UNREACHABLE = why;
    }

    private final HttpHandler next;
    private final CloseMode mode;
    private final LongAdder closes = new LongAdder();
    private final LongAdder left = new LongAdder();
    private volatile Consumer<CloseOutcome> listener = o -> { };

    private LingeringClose(HttpHandler next, CloseMode mode) {
        this.next = next;
        this.mode = mode;
    }

    /**
     * Wraps {@code next} with the default limits.
     *
     * @throws UnreachableChannelException if XNIO's channel cannot be reached in this JVM
     */
    public static LingeringClose wrap(HttpHandler next) {
        return wrap(next, DEFAULT_LINGERING_TIME, DEFAULT_MAX_DRAIN_BYTES);
    }

    /**
     * Wraps {@code next}: a connection lingers at most {@code lingeringTime} and drains at most {@code maxDrainBytes}
     * of the unread request before it is reset.
     *
     * @throws UnreachableChannelException if XNIO's channel cannot be reached in this JVM
     * @throws IllegalArgumentException if {@code next} is null or a limit is invalid
     */
    public static LingeringClose wrap(HttpHandler next, Duration lingeringTime, long maxDrainBytes) {
        if (next == null) {
            throw new IllegalArgumentException("next handler must not be null");
        }
        if (UNREACHABLE != null) {
            throw UNREACHABLE;
        }
        return new LingeringClose(next, CloseMode.graceful(lingeringTime, maxDrainBytes));
    }

    /** Called with the outcome of every lingering close (on teardown's selector thread: do not block it). */
    public void setListener(Consumer<CloseOutcome> listener) {
        if (listener == null) {
            throw new IllegalArgumentException("listener must not be null");
        }
        this.listener = listener;
    }

    /** Connections ended by teardown's graceful close so far. */
    public long closes() {
        return closes.sum();
    }

    /** Connections that ended but were left to Undertow's own close (see the class comment for which). */
    public long leftToUndertow() {
        return left.sum();
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        // a keep-alive request without a body (the common GET) is not touched: nothing can be left unread
        boolean body = exchange.getRequestContentLength() > 0 || exchange.getRequestHeaders().contains(Headers.TRANSFER_ENCODING);
        if ((body || !exchange.isPersistent()) && exchange.getConnection() instanceof HttpServerConnection
                && exchange.getConnection().getSslSessionInfo() == null) {
            if (body) {
                exchange.addRequestWrapper(requestEnd);
            }
            exchange.addExchangeCompleteListener(onComplete);
        }
        next.handleRequest(exchange);
    }

    private final ExchangeCompletionListener onComplete = this::completed;
    private static final AttachmentKey<Boolean> HANDED_OVER = AttachmentKey.create(Boolean.class);

    /**
     * An exchange read whole that ends its connection ({@code Connection: close}, HTTP/1.0): Undertow's close would
     * send no RST, but the connection is ended the same way, its completion held until teardown's close finished.
     */
    private void completed(HttpServerExchange exchange, ExchangeCompletionListener.NextListener undertow) {
        if (exchange.isPersistent() || exchange.isUpgrade() || !exchange.getConnection().isOpen()
                || exchange.getAttachment(HANDED_OVER) != null) {
            undertow.proceed(); // kept alive, upgraded, or already ended (by teardown through RequestEnd, or by Undertow)
            return;
        }
        exchange.getIoThread().execute(() -> lingeringClose(exchange, undertow::proceed));
    }

    private final ConduitWrapper<StreamSourceConduit> requestEnd = (factory, exchange) -> new RequestEnd(factory.create(), exchange);

    /**
     * The request's conduit: passes everything through until the response is complete with the request unread;
     * from then on it reports the request's end and the connection is handed to teardown.
     */
    private final class RequestEnd extends AbstractStreamSourceConduit<StreamSourceConduit> {
        private final HttpServerExchange exchange;
        private boolean handedOver;

        RequestEnd(StreamSourceConduit next, HttpServerExchange exchange) {
            super(next);
            this.exchange = exchange;
        }

        /** True when the read must report the end (the connection is, or is now, teardown's to end). */
        private boolean ended() {
            if (handedOver) {
                return true;
            }
            if (!exchange.isResponseComplete() || exchange.isRequestComplete() || exchange.isUpgrade()) {
                return false;
            }
            long length = exchange.getRequestContentLength();
            long max = exchange.getMaxEntitySize();
            if (exchange.isPersistent() && length >= 0 && (max <= 0 || length <= max)) {
                return false; // Undertow drains a body it accepts and keeps the connection: nothing to do
            }
            handedOver = true;
            exchange.putAttachment(HANDED_OVER, Boolean.TRUE);
            exchange.setPersistent(false);
            // after Undertow's current call has returned: it is in the middle of its end of the exchange
            exchange.getIoThread().execute(() -> lingeringClose(exchange, () -> Connectors.terminateRequest(exchange)));
            return true;
        }

        /** Undertow closes the request channel of a connection it will not keep (finishing the request at once). */
        @Override
        public void terminateReads() throws IOException {
            if (!ended()) {
                super.terminateReads();
            }
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return ended() ? -1 : super.read(dst);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            return ended() ? -1 : super.read(dsts, offset, length);
        }

        @Override
        public long transferTo(long position, long count, FileChannel target) throws IOException {
            return ended() ? 0 : super.transferTo(position, count, target);
        }

        @Override
        public long transferTo(long count, ByteBuffer throughBuffer, StreamSinkChannel target) throws IOException {
            if (ended()) {
                throughBuffer.limit(0);
                return -1;
            }
            return super.transferTo(count, throughBuffer, target);
        }
    }

    /** On the connection's I/O thread: teardown's graceful close, then {@code then} (Undertow's end of the exchange). */
    private void lingeringClose(HttpServerExchange exchange, Runnable then) {
        StreamConnection conn = ((HttpServerConnection) exchange.getConnection()).getChannel();
        if (!conn.isOpen() || !conn.getClass().getName().equals("org.xnio.nio.NioSocketStreamConnection")) {
            left.increment();
            then.run();
            return;
        }
        CompletableFuture<CloseOutcome> f;
        try {
            conn.getSourceChannel().suspendReads();
            conn.getSinkChannel().suspendWrites();
            SocketChannel ch = (SocketChannel) CHANNEL.invokeExact((Object) conn);
            SelectionKey key = (SelectionKey) KEY.invokeExact(CONDUIT.invokeExact((Object) conn));
            f = key != null && key.isValid() ? JdkSockets.closeAsync(key, mode) : JdkSockets.closeAsync(ch, mode);
        } catch (Throwable t) {
            f = CompletableFuture.failedFuture(t);
        }
        f.whenComplete((outcome, failure) -> {
            if (outcome != null) {
                closes.increment();
                listener.accept(outcome);
            } else {
                left.increment();
                IoUtils.safeClose(conn); // teardown could not end it: closed as Undertow would have
            }
            exchange.getIoThread().execute(then);
        });
    }
}
