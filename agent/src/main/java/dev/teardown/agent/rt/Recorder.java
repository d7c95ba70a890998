package dev.teardown.agent.rt;

import java.io.FileDescriptor;
import java.lang.StackWalker.StackFrame;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * What the agent's advice calls when a socket is opened or closed: one record per open descriptor, with the site
 * that opened it. Loaded by the bootstrap class loader (the advice runs inside {@code java.base}), so it uses
 * nothing outside {@code java.base}. Nothing here throws into the caller: a failure is counted and dropped.
 */
public final class Recorder {
    private static final int KEEP = 8;
    private static final int MAX_WALK = 128;
    private static final int MAX_SITES = 10_000;

    private static final Map<Integer, SocketRecord> OPEN = new ConcurrentHashMap<>();
    private static final Map<List<StackTraceElement>, Site> SITES = new ConcurrentHashMap<>();
    private static final Site TOO_MANY = new Site(List.of(), false);
    private static final StackWalker WALKER = StackWalker.getInstance();
    private static final Function<Stream<StackFrame>, Site> CAPTURE = Recorder::capture;
    private static final AtomicLong RECORDED = new AtomicLong();
    private static final AtomicLong FAILURES = new AtomicLong();
    private static volatile long startedMillis;

    private Recorder() {}

    /** True for the first caller only: the agent instruments a JVM once, however often it is attached. */
    public static synchronized boolean claimStart() {
        if (startedMillis != 0) {
            return false;
        }
        startedMillis = System.currentTimeMillis();
        return true;
    }

    /** When the agent started recording (ms since the epoch), 0 if it has not. */
    public static long startedMillis() {
        return startedMillis;
    }

    /** Sockets recorded since the start. */
    public static long recorded() {
        return RECORDED.get();
    }

    /** Records dropped because something failed inside the recorder. */
    public static long failures() {
        return FAILURES.get();
    }

    /** The records of the descriptors open now, by descriptor. */
    public static Map<Integer, SocketRecord> open() {
        return Collections.unmodifiableMap(OPEN);
    }

    // ---- called by the advice ----

    /** A JDK socket object got descriptor {@code fd} ({@code sun.nio.ch.SocketChannelImpl}). */
    public static void opened(Object owner, int fd, boolean accepted) {
        record(owner, fd, accepted ? SocketRecord.Kind.ACCEPTED : SocketRecord.Kind.CREATED);
    }

    /** {@code NioSocketImpl.create}: a socket for a {@code Socket} (or a {@code ServerSocket}, when server). */
    public static void created(Object owner, FileDescriptor fd, boolean server) {
        if (fd != null) {
            try {
                record(owner, Fds.of(fd), server ? SocketRecord.Kind.LISTENER : SocketRecord.Kind.CREATED);
            } catch (Throwable t) {
                FAILURES.incrementAndGet();
            }
        }
    }

    /** {@code NioSocketImpl.accept(si)}: {@code si} now holds the accepted connection. */
    public static void accepted(Object socketImpl) {
        try {
            FileDescriptor fd = Fds.ofSocketImpl(socketImpl);
            if (fd != null) {
                record(socketImpl, Fds.of(fd), SocketRecord.Kind.ACCEPTED);
            }
        } catch (Throwable t) {
            FAILURES.incrementAndGet();
        }
    }

    /** A Netty {@code io.netty.channel.unix.Socket} was made around descriptor {@code fd}. */
    public static void nettySocket(Object socket, int fd) {
        record(socket, fd, SocketRecord.Kind.NETTY);
    }

    /** A Netty epoll channel was built on {@code socket}; ties the channel (and the listener it came from) to it. */
    public static void nettyChannel(Object channel, Object socket, Object[] args) {
        try {
            SocketRecord r = OPEN.get(Netty.fd(socket));
            if (r != null && r.owner() == System.identityHashCode(socket)) {
                r.linkChannel(channel, Netty.parentFd(args, socket));
            }
        } catch (Throwable t) {
            FAILURES.incrementAndGet();
        }
    }

    /** The owner is closing descriptor {@code fd}: its record goes, unless the number already belongs to another. */
    public static void closing(Object owner, int fd) {
        try {
            SocketRecord r = OPEN.get(fd);
            if (r != null && r.owner() == System.identityHashCode(owner)) {
                OPEN.remove(fd, r);
            }
        } catch (Throwable t) {
            FAILURES.incrementAndGet();
        }
    }

    /** As {@link #closing(Object, int)} with the descriptor object. */
    public static void closing(Object owner, FileDescriptor fd) {
        if (fd != null) {
            try {
                closing(owner, Fds.of(fd));
            } catch (Throwable t) {
                FAILURES.incrementAndGet();
            }
        }
    }

    // ---- the record ----

    private static void record(Object owner, int fd, SocketRecord.Kind kind) {
        if (fd < 0 || startedMillis == 0) {
            return;
        }
        try {
            Site site = WALKER.walk(CAPTURE);
            OPEN.put(fd, new SocketRecord(fd, System.identityHashCode(owner), System.currentTimeMillis(), site, kind));
            RECORDED.incrementAndGet();
        } catch (Throwable t) {
            FAILURES.incrementAndGet();
        }
    }

    /**
     * Keeps up to eight application frames (outside the JDK, Netty and the agent); when there are none (a socket
     * accepted on a Netty event loop, or opened by a JDK pool thread), the library's frames instead.
     */
    private static Site capture(Stream<StackFrame> stack) {
        StackFrame[] app = new StackFrame[KEEP];
        StackFrame[] lib = new StackFrame[KEEP];
        int apps = 0;
        int libs = 0;
        Iterator<StackFrame> it = stack.limit(MAX_WALK).iterator();
        while (it.hasNext() && apps < KEEP) {
            StackFrame f = it.next();
            String c = f.getClassName();
            if (c.startsWith("dev.teardown.agent.rt.") || isSocketInternals(c)) {
                continue;
            }
            if (isLibrary(c)) {
                if (apps == 0 && libs < KEEP) {
                    lib[libs++] = f;
                }
                continue;
            }
            app[apps++] = f;
        }
        boolean application = apps > 0;
        StackFrame[] kept = application ? app : lib;
        int n = application ? apps : libs;
        StackTraceElement[] frames = new StackTraceElement[n];
        for (int i = 0; i < n; i++) {
            frames[i] = kept[i].toStackTraceElement();
        }
        List<StackTraceElement> key = Arrays.asList(frames);
        Site site = SITES.get(key);
        if (site != null) {
            return site;
        }
        if (SITES.size() >= MAX_SITES) {
            return TOO_MANY;
        }
        return SITES.computeIfAbsent(List.copyOf(key), k -> new Site(k, application));
    }

    private static boolean isLibrary(String c) {
        return c.startsWith("java.") || c.startsWith("javax.") || c.startsWith("jdk.") || c.startsWith("sun.")
                || c.startsWith("com.sun.") || c.startsWith("io.netty.");
    }

    /** The frames every socket opening has in common, useless as a site even when nothing else is left. */
    private static boolean isSocketInternals(String c) {
        return c.startsWith("sun.nio.ch.") || c.startsWith("java.nio.channels.") || c.startsWith("java.net.Socket")
                || c.startsWith("java.net.ServerSocket") || c.startsWith("io.netty.channel.unix.");
    }
}
