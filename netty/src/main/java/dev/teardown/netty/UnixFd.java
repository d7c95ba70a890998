package dev.teardown.netty;

import io.netty.channel.Channel;
import io.netty.channel.unix.UnixChannel;

/**
 * The descriptor number of a Netty native channel (epoll, io_uring, kqueue) as a hint for teardown's engine, kept
 * apart so that an application with Netty's NIO transport only (no {@code netty-transport-native-unix-common}) never
 * loads {@link UnixChannel}.
 */
final class UnixFd {
    private UnixFd() {}

    private static final boolean PRESENT = present();

    private static boolean present() {
        try {
            Class.forName("io.netty.channel.unix.UnixChannel", false, UnixFd.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** The channel's number while open (on its event loop, where Netty closes it), or -1. */
    static int of(Channel ch) {
        return PRESENT ? Native.of(ch) : -1;
    }

    /** Loaded only when the class exists. */
    private static final class Native {
        static int of(Channel ch) {
            return ch instanceof UnixChannel u && u.fd().isOpen() ? u.fd().intValue() : -1;
        }
    }
}
