package dev.teardown.spawn;

import dev.teardown.TcpException;
import dev.teardown.posix.JdkChannels;
import dev.teardown.posix.Libc;
import dev.teardown.posix.Os;
import dev.teardown.posix.Sockaddr;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.Channel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Audits which of this process's descriptors a child started by fork/exec would inherit (those without
 * close-on-exec), and sets close-on-exec on them, including on JDK channels. teardown's own descriptors
 * are always close-on-exec; the JDK's sockets are not, so a library that forks behind the JVM's back
 * (or a native {@code system()} call) hands them to its children and keeps their connections alive.
 * Linux only: reads {@code /proc/self/fd} and {@code /proc/self/fdinfo}.
 */
public final class Inheritance {
    private Inheritance() {}

    /** One descriptor that lacks close-on-exec: its number, what it refers to, and for sockets the addresses. */
    public record Inheritable(int fd, String target, String description) {
        @Override
        public String toString() {
            return "fd " + fd + ": " + description;
        }
    }

    private static final int O_CLOEXEC_PROC = 02000000; // as /proc/self/fdinfo prints flags (octal)

    /** Every descriptor of this process, above standard error, that a child would inherit. */
    public static List<Inheritable> audit() throws IOException {
        requireLinux();
        List<Inheritable> out = new ArrayList<>();
        List<Path> entries;
        try (Stream<Path> s = Files.list(Paths.get("/proc/self/fd"))) {
            entries = s.toList();
        }
        for (Path p : entries) {
            int fd = Integer.parseInt(p.getFileName().toString());
            if (fd <= 2) {
                continue;
            }
            String target;
            int flags;
            try {
                target = Files.readSymbolicLink(p).toString();
                flags = fdinfoFlags(fd);
            } catch (IOException gone) {
                continue; // closed meanwhile (the directory listing's own descriptor, or another thread's)
            }
            if ((flags & O_CLOEXEC_PROC) == 0) {
                out.add(new Inheritable(fd, target, describe(fd, target)));
            }
        }
        return out;
    }

    /** Sets FD_CLOEXEC on {@code fd}. */
    public static void setCloseOnExec(int fd) throws TcpException {
        if (fd < 0) {
            throw new IllegalArgumentException("fd must be >= 0, got " + fd);
        }
        int fl = Libc.fcntl(fd, Os.F_GETFD, 0);
        if (fl < 0 || Libc.fcntl(fd, Os.F_SETFD, fl | Os.FD_CLOEXEC) < 0) {
            throw TcpException.of("fcntl(F_SETFD, FD_CLOEXEC) fd " + fd, Libc.errno());
        }
    }

    /**
     * Sets FD_CLOEXEC on a JDK socket or server-socket channel's descriptor. Needs the JVM flag
     * {@code --add-opens java.base/sun.nio.ch=ALL-UNNAMED}.
     */
    public static void setCloseOnExec(Channel channel) throws TcpException {
        setCloseOnExec(fdOf(channel));
    }

    /**
     * The descriptor number of a JDK NIO channel ({@code SocketChannel}, {@code ServerSocketChannel}).
     *
     * @throws IllegalStateException naming the JVM flag when the JDK's internals are not opened
     */
    public static int fdOf(Channel channel) {
        return JdkChannels.fd(channel);
    }

    private static int fdinfoFlags(int fd) throws IOException {
        for (String line : Files.readAllLines(Paths.get("/proc/self/fdinfo/" + fd))) {
            if (line.startsWith("flags:")) {
                return Integer.parseInt(line.substring(6).trim(), 8);
            }
        }
        return 0;
    }

    private static String describe(int fd, String target) {
        if (!target.startsWith("socket:")) {
            return target;
        }
        InetSocketAddress local = name(fd, true);
        InetSocketAddress remote = name(fd, false);
        if (local == null) {
            return target + " (not an IPv4/IPv6 socket)";
        }
        return target + " TCP/IP " + local + (remote != null ? " -> " + remote : " (not connected)");
    }

    private static InetSocketAddress name(int fd, boolean local) {
        byte[] sa = new byte[Sockaddr.MAX_LEN];
        int[] len = {sa.length};
        int rc = local ? Libc.getsockname(fd, sa, len) : Libc.getpeername(fd, sa, len);
        return rc < 0 ? null : Sockaddr.decode(sa, len[0]);
    }

    private static void requireLinux() {
        Os.requireSupported();
        if (!Os.LINUX) {
            throw new UnsupportedOperationException("the inheritance audit reads /proc and works on Linux only");
        }
    }
}
