package dev.teardown.jetty;

import dev.teardown.CloseMode;
import dev.teardown.CloseOutcome;
import dev.teardown.jdk.JdkSockets;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ManagedSelector;
import org.eclipse.jetty.io.SocketChannelEndPoint;
import org.eclipse.jetty.server.ConnectionMetaData;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;

/**
 * nginx's lingering close for a Jetty 12 server, in one line: {@code server.setHandler(new LingeringClose(app))}.
 *
 * <p><b>Kernel effect.</b> When a response ends its connection (the client asked for {@code Connection: close},
 * the response says {@code Connection: close}, or the request body was left unread, as when an upload is
 * rejected with 413), Jetty would shut its output and close at once: with the upload still arriving, that close
 * finds unread input and the kernel sends RST, which drops whatever part of the response the client has not
 * received yet. With this wrapper the response is flushed first, then the connection is ended with teardown's
 * graceful close ({@link JdkSockets#closeAsync(SelectionKey, CloseMode)}): FIN after the whole response, the rest
 * of the upload read and discarded until the client's FIN, RST only if the client goes on past the lingering time
 * or the byte limit. Jetty's completion callback is held until that close has finished, so Jetty's own close
 * never races it and finds the channel already closed (the JDK closes it once). Every other request passes
 * through untouched: a keep-alive request without a body (the common GET) is not even wrapped; one with a body
 * costs one callback object, and no system call.
 *
 * <p><b>Left to Jetty.</b> TLS, HTTP/2 and HTTP/3 connections, upgraded ones (WebSocket), a connection Jetty has
 * already closed, a handler that fails its callback (Jetty's error handling decides), and a connector that is not a
 * {@link ServerConnector} (Unix-domain, in-memory). Each is counted in {@link #leftToJetty()}.
 *
 * <p><b>Limits.</b> {@link #DEFAULT_LINGERING_TIME} (nginx's {@code lingering_time}) and
 * {@link #DEFAULT_MAX_DRAIN_BYTES}, changed with {@link #LingeringClose(Handler, Duration, long)}. While the close
 * lingers, the connection's idle timeout is raised past the lingering time so that Jetty does not close it midway.
 */
public final class LingeringClose extends Handler.Wrapper {
    /** How long a connection may linger after its response: 30 s, nginx's {@code lingering_time}. */
    public static final Duration DEFAULT_LINGERING_TIME = Duration.ofSeconds(30);
    /**
     * How many bytes of the unread request are read and discarded before giving up with RST: 64 MiB (see the
     * README's "Servers" section for why: nginx has no byte limit, only time; this bounds what one client costs).
     */
    public static final long DEFAULT_MAX_DRAIN_BYTES = 64L << 20;

    private final CloseMode mode;
    private final long lingeringMillis;
    private final LongAdder closes = new LongAdder();
    private final LongAdder leftToJetty = new LongAdder();
    private volatile Consumer<CloseOutcome> listener = o -> { };

    /** Wraps {@code app} with the default limits. */
    public LingeringClose(Handler app) {
        this(app, DEFAULT_LINGERING_TIME, DEFAULT_MAX_DRAIN_BYTES);
    }

    /**
     * Wraps {@code app}: a connection lingers at most {@code lingeringTime} and drains at most {@code maxDrainBytes}
     * of the unread request before it is reset.
     *
     * @throws IllegalArgumentException if {@code lingeringTime} is null or negative, or {@code maxDrainBytes} negative
     */
    public LingeringClose(Handler app, Duration lingeringTime, long maxDrainBytes) {
        super(app);
        this.mode = CloseMode.graceful(lingeringTime, maxDrainBytes);
        this.lingeringMillis = lingeringTime.toMillis();
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

    /** Connections that ended but were left to Jetty's own close (see the class comment for which). */
    public long leftToJetty() {
        return leftToJetty.sum();
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        ConnectionMetaData meta = request.getConnectionMetaData();
        HttpVersion v = meta.getHttpVersion();
        if (meta.isSecure() || (v != HttpVersion.HTTP_1_1 && v != HttpVersion.HTTP_1_0)
                || (meta.isPersistent() && request.getLength() <= 0 && !request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING))) {
            // a keep-alive request without a body (the common GET) is not touched: nothing can be left unread
            return super.handle(request, response, callback);
        }
        return super.handle(request, response, new Callback.Nested(callback) {
            @Override
            public void succeeded() {
                if (endsConnection(request, response)) {
                    end(request, response, getCallback());
                } else {
                    super.succeeded();
                }
            }
        });
    }

    private static boolean endsConnection(Request request, Response response) {
        if (response.getStatus() == 101) {
            return false; // upgraded (WebSocket): the connection is the new protocol's
        }
        return !request.getConnectionMetaData().isPersistent()
                || response.getHeaders().contains(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString())
                || !request.consumeAvailable();
    }

    private void end(Request request, Response response, Callback jetty) {
        if (!response.isCommitted()) {
            response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE);
        }
        // the response's last bytes handed to the kernel before the FIN; Jetty's completion waits for the close
        response.write(true, BufferUtil.EMPTY_BUFFER, Callback.from(() -> close(request, jetty), jetty::failed));
    }

    private void close(Request request, Callback jetty) {
        EndPoint ep = request.getConnectionMetaData().getConnection().getEndPoint();
        ManagedSelector ms = ep instanceof SocketChannelEndPoint sep && sep.isOpen()
                ? selectorOf(request.getConnectionMetaData().getConnector(), sep.getChannel()) : null;
        if (ms == null) {
            leftToJetty.increment();
            jetty.succeeded();
            return;
        }
        SocketChannelEndPoint sep = (SocketChannelEndPoint) ep;
        SocketChannel channel = sep.getChannel();
        ep.setIdleTimeout(Math.max(ep.getIdleTimeout(), lingeringMillis + 5_000));
        // The key is cancelled on the selector's own thread, between two selects: cancelled from another thread, it
        // could still be in the set Jetty is iterating, and Jetty closes the endpoint of a key it finds invalid.
        ms.submit(selector -> {
            SelectionKey key = channel.keyFor(selector);
            CompletableFuture<CloseOutcome> f;
            if (key == null || !key.isValid()) {
                leftToJetty.increment();
                jetty.succeeded();
                return;
            }
            // Jetty applies a pending change of interest to the key after the updates; with the key cancelled, that
            // fails and Jetty closes the endpoint. Applied now, nothing is pending.
            sep.updateKey();
            try {
                f = JdkSockets.closeAsync(key, mode);
            } catch (Exception | LinkageError e) {
                f = CompletableFuture.failedFuture(e);
            }
            f.whenComplete((outcome, failure) -> {
                if (outcome != null) {
                    closes.increment();
                    listener.accept(outcome);
                    jetty.succeeded();
                } else {
                    leftToJetty.increment();
                    jetty.failed(failure);
                }
            });
        });
    }

    /** The selector of the connector that serves {@code channel} (null when none has its key). */
    private static ManagedSelector selectorOf(Connector connector, SocketChannel channel) {
        if (connector instanceof ServerConnector sc) {
            for (ManagedSelector ms : sc.getSelectorManager().getBeans(ManagedSelector.class)) {
                SelectionKey key = channel.keyFor(ms.getSelector());
                if (key != null && key.isValid()) {
                    return ms;
                }
            }
        }
        return null;
    }
}
