package dev.teardown.tomcat;

import dev.teardown.CloseMode;
import dev.teardown.CloseOutcome;
import dev.teardown.jdk.JdkSockets;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.apache.coyote.http11.Http11NioProtocol;
import org.apache.coyote.http11.Http11Processor;
import org.apache.tomcat.util.net.AbstractEndpoint.Handler;
import org.apache.tomcat.util.net.AbstractEndpoint.Handler.SocketState;
import org.apache.tomcat.util.net.NioChannel;
import org.apache.tomcat.util.net.NioEndpoint.NioSocketWrapper;
import org.apache.tomcat.util.net.SocketEvent;
import org.apache.tomcat.util.net.SocketWrapperBase;

/**
 * nginx's lingering close for Tomcat 10.1 and 11, in one line: the HTTP/1.1 NIO protocol with every connection
 * that Tomcat closes after a response ended by teardown's graceful close. In {@code server.xml}:
 * {@code <Connector port="8080" protocol="dev.teardown.tomcat.LingeringHttp11NioProtocol"/>}; embedded:
 * {@code new Connector("dev.teardown.tomcat.LingeringHttp11NioProtocol")} (or {@code new Connector(new
 * LingeringHttp11NioProtocol())}). Everything else is Tomcat's {@link Http11NioProtocol}, unchanged.
 *
 * <p><b>Kernel effect.</b> Tomcat closes a connection after a response when the request or response said
 * {@code Connection: close}, on an error status that ends it, or when the request body left unread is larger than
 * {@code maxSwallowSize} (2 MiB): it swallows that much and then closes with the rest still arriving, so the kernel
 * sends RST and the client may lose the end of the response. Here the close that Tomcat was about to make is made
 * by {@link JdkSockets#closeAsync(SelectionKey, CloseMode)} instead: FIN after the whole response, the rest of the
 * request read and discarded until the client's FIN (beyond {@code maxSwallowSize}), RST only past the lingering
 * time or the byte limit. The close starts from the connection's next write event (one more Poller round), never
 * from under the Poller's handling of the read that Tomcat just processed. No thread waits: the drain runs on
 * teardown's selector thread, and Tomcat's own close of the connection (its bookkeeping: connection count,
 * {@code maxConnections}) runs when teardown's has finished.
 * Keep-alive exchanges are not touched (one extra comparison per processed event).
 *
 * <p><b>Left to Tomcat.</b> TLS ({@code SSLEnabled}), HTTP/2 and other upgraded connections, async requests still
 * in progress, closes after a timeout, error or disconnect event, and a connection Tomcat has already closed: each
 * counted in {@link #leftToTomcat()}.
 *
 * <p><b>Limits</b> (attributes of the {@code Connector}): {@code lingeringTime} in milliseconds, default 30,000
 * (nginx's {@code lingering_time}); {@code lingeringMaxBytes}, default 64 MiB, beyond what Tomcat swallowed.
 */
public class LingeringHttp11NioProtocol extends Http11NioProtocol {
    private volatile long lingeringTime = 30_000;
    private volatile long lingeringMaxBytes = 64L << 20;
    private volatile CloseMode mode = CloseMode.graceful(Duration.ofMillis(lingeringTime), lingeringMaxBytes);
    private final LongAdder closes = new LongAdder();
    private final LongAdder left = new LongAdder();
    private volatile Consumer<CloseOutcome> listener = o -> { };

    /** The protocol, with the endpoint's handler wrapped so that closes after a response linger. */
    public LingeringHttp11NioProtocol() {
        super();
        getEndpoint().setHandler(new Lingering(getEndpoint().getHandler()));
    }

    /** How long a connection may linger after its response, in milliseconds (server.xml: lingeringTime). */
    public void setLingeringTime(long millis) {
        mode = CloseMode.graceful(Duration.ofMillis(millis), lingeringMaxBytes);
        lingeringTime = millis;
    }

    public long getLingeringTime() {
        return lingeringTime;
    }

    /** Bytes of the unread request read and discarded before the connection is reset (server.xml: lingeringMaxBytes). */
    public void setLingeringMaxBytes(long bytes) {
        mode = CloseMode.graceful(Duration.ofMillis(lingeringTime), bytes);
        lingeringMaxBytes = bytes;
    }

    public long getLingeringMaxBytes() {
        return lingeringMaxBytes;
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

    /** Connections closed after a request that were left to Tomcat's own close (see the class comment). */
    public long leftToTomcat() {
        return left.sum();
    }

    /** The endpoint's handler, delegating everything, but taking over a close that follows a response. */
    private final class Lingering implements Handler<NioChannel> {
        private final Handler<NioChannel> tomcat;
        /** Connections whose close waits for the write event that hands them over. */
        private final Set<SocketWrapperBase<NioChannel>> handedOver = ConcurrentHashMap.newKeySet();

        Lingering(Handler<NioChannel> tomcat) {
            this.tomcat = tomcat;
        }

        @Override
        public SocketState process(SocketWrapperBase<NioChannel> wrapper, SocketEvent event) {
            if (event == SocketEvent.OPEN_WRITE && !handedOver.isEmpty() && handedOver.remove(wrapper)) {
                close((NioSocketWrapper) wrapper);
                return SocketState.LONG;
            }
            Object before = wrapper.getCurrentProcessor();
            SocketState state = tomcat.process(wrapper, event);
            if (state != SocketState.CLOSED || event != SocketEvent.OPEN_READ) {
                return state;
            }
            if ((before != null && (!(before instanceof Http11Processor) || ((Http11Processor) before).isAsync()))
                    || wrapper.isClosed() || wrapper.getSocket().getClass() != NioChannel.class
                    || !(wrapper instanceof NioSocketWrapper nio)) {
                left.increment();
                return state;
            }
            // Tomcat's Poller may still be inside processKey for this key (it reads the key's ready set after
            // dispatching the read), and a key cancelled under it makes it close the connection. It never touches
            // a key after dispatching a write event, so the close starts from that event: one more Poller round.
            handedOver.add(nio);
            nio.registerWriteInterest();
            return SocketState.LONG; // the endpoint leaves the connection alone
        }

        private void close(NioSocketWrapper wrapper) {
            SocketChannel channel = wrapper.getSocket().getIOChannel();
            CompletableFuture<CloseOutcome> f;
            try {
                SelectionKey key = channel.keyFor(wrapper.getPoller().getSelector());
                f = key != null ? JdkSockets.closeAsync(key, mode) : JdkSockets.closeAsync(channel, mode);
            } catch (Exception | LinkageError e) {
                left.increment(); // closed meanwhile, or not connected: Tomcat closes it as it meant to
                wrapper.close();
                return;
            }
            f.whenComplete((outcome, failure) -> {
                if (outcome != null && !wrapper.isClosed()) {
                    closes.increment();
                } else {
                    left.increment();
                }
                if (outcome != null) {
                    listener.accept(outcome);
                }
                wrapper.close(); // Tomcat's bookkeeping; the channel is already closed, so nothing reaches the wire
            });
        }

        @Override
        public Object getGlobal() {
            return tomcat.getGlobal();
        }

        @Override
        public void release(SocketWrapperBase<NioChannel> socketWrapper) {
            if (!handedOver.isEmpty() && handedOver.remove(socketWrapper)) {
                left.increment(); // closed by Tomcat before its write event came (a shutdown): never left behind
            }
            tomcat.release(socketWrapper);
        }

        @Override
        public void pause() {
            tomcat.pause();
        }

        @Override
        public void recycle() {
            tomcat.recycle();
        }
    }
}
