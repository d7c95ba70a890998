package dev.teardown.netty;

import io.netty.channel.Channel;
import java.lang.reflect.Method;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/**
 * What Netty's NIO transport keeps protected and teardown needs to know when the JDK really closes a channel: the
 * JDK channel inside ({@code AbstractNioChannel.javaChannel()}) and its selection key. By reflection on Netty's own
 * class (an automatic module is open to it); null where it is not available.
 */
final class NioInternals {
    private NioInternals() {}

    private static final Method JAVA_CHANNEL = method("javaChannel");
    private static final Method SELECTION_KEY = method("selectionKey");

    private static Method method(String name) {
        try {
            Method m = Class.forName("io.netty.channel.nio.AbstractNioChannel").getDeclaredMethod(name);
            m.setAccessible(true);
            return m;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    static SocketChannel javaChannel(Channel ch) {
        return invoke(JAVA_CHANNEL, ch) instanceof SocketChannel s ? s : null;
    }

    static SelectionKey selectionKey(Channel ch) {
        return invoke(SELECTION_KEY, ch) instanceof SelectionKey k ? k : null;
    }

    private static Object invoke(Method m, Channel ch) {
        if (m == null || !m.getDeclaringClass().isInstance(ch)) {
            return null;
        }
        try {
            return m.invoke(ch);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }
}
