package dev.teardown.netty;

import dev.teardown.posix.JdkChannels;
import dev.teardown.posix.SocketLookup;
import dev.teardown.posix.SocketQueues;
import io.netty.channel.Channel;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.UnixChannel;
import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.util.function.IntUnaryOperator;

/**
 * Read-only access to the descriptor of a Netty TCP channel: {@link UnixChannel#fd()} for epoll and io_uring;
 * for NIO the JDK channel inside ({@code AbstractNioChannel.javaChannel()}, by reflection on Netty's class) and
 * its number through {@code --add-opens} or, without it, the socket's addresses (sock_diag, {@code /proc/self/fd}).
 *
 * <p>Netty closes a channel's descriptor on its event loop, and marks it closed before releasing the number
 * (epoll's {@code FileDescriptor} state, the JDK channel's closed flag). teardown reads only on that loop and
 * checks the channel is open before and after each call, so a number released meanwhile is never read as ours.
 */
final class Descriptor {
    private static final Method JAVA_CHANNEL = javaChannelMethod();

    private final Channel ch;
    private final FileDescriptor unix;
    private final java.nio.channels.SocketChannel jdk;
    private int fd = -2;
    private SocketLookup.Found found; // when found by address
    private String why;

    Descriptor(Channel ch) {
        this.ch = ch;
        this.unix = ch instanceof UnixChannel u ? u.fd() : null;
        this.jdk = unix == null ? javaChannel(ch) : null;
    }

    private static Method javaChannelMethod() {
        try {
            Method m = Class.forName("io.netty.channel.nio.AbstractNioChannel").getDeclaredMethod("javaChannel");
            m.setAccessible(true);
            return m;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null; // Netty on the module path without opens: the addresses still find the socket
        }
    }

    private static java.nio.channels.SocketChannel javaChannel(Channel ch) {
        if (JAVA_CHANNEL == null || !JAVA_CHANNEL.getDeclaringClass().isInstance(ch)) {
            return null;
        }
        try {
            return JAVA_CHANNEL.invoke(ch) instanceof java.nio.channels.SocketChannel s ? s : null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    private boolean open() {
        return unix != null ? unix.isOpen() && ch.isOpen() : jdk != null ? jdk.isOpen() && ch.isOpen() : ch.isOpen();
    }

    /** The number, or -1 with {@link #unknownWhy()}. */
    int fd() {
        if (fd == -2) {
            fd = -1;
            if (unix != null) {
                fd = unix.intValue();
            } else if (jdk != null && JdkChannels.available()) {
                try {
                    fd = JdkChannels.fd(jdk);
                } catch (RuntimeException e) {
                    fd = -1;
                }
            }
            if (fd < 0 && unix == null && ch.localAddress() instanceof InetSocketAddress l
                    && ch.remoteAddress() instanceof InetSocketAddress r) {
                found = SocketLookup.find(l, r);
                fd = found == null ? -1 : found.fd();
            }
            if (fd < 0) {
                why = "the socket's descriptor was not found (" + ch + ": sock_diag and /proc/self/fd did not show it)";
            }
        }
        return fd;
    }

    String unknownWhy() {
        fd();
        return why == null ? "the channel was closed during the read" : why;
    }

    /** One read-only call while the channel is open; -1 if unknown, failed or closed around the call. */
    int read(IntUnaryOperator call) {
        int n = fd();
        if (n < 0 || !open()) {
            return -1;
        }
        int v = call.applyAsInt(n);
        if (found != null && found.shared() && SocketLookup.inodeOf(n) != found.inode()) {
            return -1; // a dup's number, closed by its holder meanwhile
        }
        return open() ? v : -1;
    }

    int unread() {
        return read(SocketQueues::unread);
    }

    int unacknowledged() {
        return read(SocketQueues::unacknowledged);
    }

    boolean endedByKernel() {
        return read(SocketQueues::tcpState) == SocketQueues.TCP_CLOSE;
    }
}
