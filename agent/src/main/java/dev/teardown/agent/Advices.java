package dev.teardown.agent;

import dev.teardown.agent.rt.Recorder;
import net.bytebuddy.asm.Advice;

import java.io.FileDescriptor;

/**
 * The advice inlined into the socket classes: each calls the bootstrap-loaded {@link Recorder} and suppresses any
 * throwable, so the instrumented method behaves as before whatever happens here.
 */
final class Advices {
    private Advices() {}

    /** {@code sun.nio.ch.NioSocketImpl.create(boolean)}: a {@code Socket} or {@code ServerSocket} got its descriptor. */
    static final class NioCreate {
        @Advice.OnMethodExit(suppress = Throwable.class)
        static void exit(@Advice.FieldValue("fd") FileDescriptor fd, @Advice.FieldValue("server") boolean server) {
            Recorder.created(fd, server);
        }
    }

    /** {@code sun.nio.ch.NioSocketImpl.accept(SocketImpl)}: the argument now holds an accepted connection. */
    static final class NioAccept {
        @Advice.OnMethodExit(suppress = Throwable.class)
        static void exit(@Advice.Argument(0) Object accepted) {
            Recorder.accepted(accepted);
        }
    }

    /** {@code sun.nio.ch.NioSocketImpl.close()}. */
    static final class NioClose {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@Advice.FieldValue("fd") FileDescriptor fd) {
            Recorder.closing(fd);
        }
    }

    /**
     * {@code NioSocketImpl}'s closing action ({@code lambda$closerFor$N(FileDescriptor)}), which its cleaner also runs
     * when the application drops a {@code Socket} unclosed: without it the record of a collected socket would stay
     * until its number is reused, and a socket the agent does not see that got the number would inherit its site.
     */
    static final class NioCloser {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@Advice.Argument(0) FileDescriptor fd) {
            Recorder.closing(fd);
        }
    }

    /** {@code SocketChannelImpl(SelectorProvider, ProtocolFamily)}: {@code SocketChannel.open}. */
    static final class ChannelOpen {
        @Advice.OnMethodExit(suppress = Throwable.class)
        static void exit(@Advice.FieldValue("fdVal") int fd) {
            Recorder.opened(fd, false);
        }
    }

    /** {@code SocketChannelImpl(SelectorProvider, ProtocolFamily, FileDescriptor, SocketAddress)}: accepted. */
    static final class ChannelAccept {
        @Advice.OnMethodExit(suppress = Throwable.class)
        static void exit(@Advice.FieldValue("fdVal") int fd) {
            Recorder.opened(fd, true);
        }
    }

    /** {@code SocketChannelImpl.implCloseSelectableChannel()}. */
    static final class ChannelClose {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@Advice.FieldValue("fdVal") int fd) {
            Recorder.closing(fd);
        }
    }

    /** {@code ServerSocketChannelImpl(SelectorProvider, ProtocolFamily)}: {@code ServerSocketChannel.open}. */
    static final class ListenerOpen {
        @Advice.OnMethodExit(suppress = Throwable.class)
        static void exit(@Advice.FieldValue("fdVal") int fd) {
            Recorder.listening(fd);
        }
    }

    /** {@code io.netty.channel.unix.Socket(int)}. */
    static final class NettySocket {
        @Advice.OnMethodExit(suppress = Throwable.class)
        static void exit(@Advice.This Object self, @Advice.Argument(0) int fd) {
            Recorder.nettySocket(self, fd);
        }
    }

    /** {@code io.netty.channel.unix.FileDescriptor.close()}. */
    static final class NettyClose {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@Advice.This Object self, @Advice.FieldValue("fd") int fd) {
            Recorder.nettyClosing(self, fd);
        }
    }

    /** {@code io.netty.channel.nio.AbstractNioChannel} constructors: as {@link NettyChannel}, on a JDK channel. */
    static final class NettyNioChannel {
        @Advice.OnMethodExit(suppress = Throwable.class)
        static void exit(@Advice.This Object self, @Advice.FieldValue("ch") Object socket,
                @Advice.AllArguments Object[] args) {
            Recorder.nettyChannel(self, socket, args);
        }
    }

    /** {@code io.netty.channel.epoll.AbstractEpollChannel} constructors: the channel, and the listener it came from. */
    static final class NettyChannel {
        @Advice.OnMethodExit(suppress = Throwable.class)
        static void exit(@Advice.This Object self, @Advice.FieldValue("socket") Object socket,
                @Advice.AllArguments Object[] args) {
            Recorder.nettyChannel(self, socket, args);
        }
    }

    /** Apache HttpClient 4.5's {@code PoolingHttpClientConnectionManager.leaseConnection}: the pool lent a connection. */
    static final class Apache4Lease {
        @Advice.OnMethodExit(suppress = Throwable.class)
        static void exit(@Advice.Return Object connection) {
            Recorder.leased(Recorder.APACHE4, connection);
        }
    }

    /** Apache HttpClient 4.5's {@code releaseConnection}: the connection goes back to the pool (or is closed). */
    static final class Apache4Release {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@Advice.Argument(0) Object connection) {
            Recorder.released(Recorder.APACHE4, connection);
        }
    }

    /** Apache HttpClient 5's {@code InternalConnectionEndpoint} constructor: its pool lent an entry. */
    static final class Apache5Lease {
        @Advice.OnMethodExit(suppress = Throwable.class)
        static void exit(@Advice.This Object endpoint) {
            Recorder.leased(Recorder.APACHE5, endpoint);
        }
    }

    /** Apache HttpClient 5's {@code PoolingHttpClientConnectionManager.release}. */
    static final class Apache5Release {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@Advice.Argument(0) Object endpoint) {
            Recorder.released(Recorder.APACHE5, endpoint);
        }
    }

    /** OkHttp's {@code RealCall.acquireConnectionNoEvents}: a call took a connection (new or pooled). */
    static final class OkHttpAcquire {
        @Advice.OnMethodExit(suppress = Throwable.class)
        static void exit(@Advice.Argument(0) Object connection) {
            Recorder.leased(Recorder.OKHTTP, connection);
        }
    }

    /** OkHttp's {@code RealCall.releaseConnectionNoEvents}: the call gives its connection back. */
    static final class OkHttpRelease {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@Advice.This Object call) {
            Recorder.released(Recorder.OKHTTP, call);
        }
    }

    /** The JDK client's {@code ConnectionPool.getConnection}: a pooled connection, when it returns one, is lent out. */
    static final class JdkLease {
        @Advice.OnMethodExit(suppress = Throwable.class)
        static void exit(@Advice.Return Object connection) {
            Recorder.leased(Recorder.JDK_HTTP, connection);
        }
    }

    /** The JDK client's {@code ConnectionPool.returnToPool}. */
    static final class JdkRelease {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@Advice.Argument(0) Object connection) {
            Recorder.released(Recorder.JDK_HTTP, connection);
        }
    }

    /**
     * Jetty's {@code HttpDestination.send(HttpExchange)}: the application's thread queues a request; its stack is held
     * until a connection takes the exchange.
     */
    static final class JettyRequest {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@Advice.Argument(0) Object exchange) {
            Recorder.requested(exchange);
        }
    }

    /** Jetty's {@code HttpConnectionOverHTTP.send(HttpExchange)}: a pooled connection takes the exchange. */
    static final class JettyLease {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@Advice.This Object connection, @Advice.Argument(0) Object exchange) {
            Recorder.leasedFor(Recorder.JETTY, exchange, connection);
        }
    }

    /** Jetty's {@code AbstractConnectionPool.release(Connection)}: the connection goes back to the pool. */
    static final class JettyRelease {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@Advice.Argument(0) Object connection) {
            Recorder.released(Recorder.JETTY, connection);
        }
    }

    /**
     * Reactor Netty's {@code DisposableAcquire} constructor: a request asks the pool for a connection, on the thread
     * that subscribed (the application's, for a blocking call); its stack is held until the pool delivers.
     */
    static final class ReactorNettyRequest {
        @Advice.OnMethodExit(suppress = Throwable.class)
        static void exit(@Advice.This Object acquire) {
            Recorder.requested(acquire);
        }
    }

    /**
     * Reactor Netty's {@code DisposableAcquire(DisposableAcquire)}: the pool's connection was found closed and the
     * request asks again, as a new object; the request's stack moves to it.
     */
    static final class ReactorNettyRetry {
        @Advice.OnMethodExit(suppress = Throwable.class)
        static void exit(@Advice.This Object retry, @Advice.Argument(0) Object first) {
            Recorder.requestedAgain(first, retry);
        }
    }

    /** Reactor Netty's {@code DisposableAcquire.onNext(PooledRef)}: the pool lent a connection to the request. */
    static final class ReactorNettyLease {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@Advice.This Object acquire, @Advice.Argument(0) Object pooledRef) {
            Recorder.leasedFor(Recorder.REACTOR_NETTY, acquire, pooledRef);
        }
    }

    /** reactor-pool's {@code QueuePooledRef.release()} (Reactor Netty's pool): the connection goes back. */
    static final class ReactorNettyRelease {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@Advice.This Object pooledRef) {
            Recorder.released(Recorder.REACTOR_NETTY, pooledRef);
        }
    }
}
