package dev.teardown.agent.rt;

import java.io.FileDescriptor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;

/**
 * What the agent's advice calls when a socket is opened or closed: one record per open descriptor, with the site
 * that opened it. Loaded by the bootstrap class loader (the advice runs inside {@code java.base}), so it uses
 * nothing outside {@code java.base}. Nothing here throws into the caller: a failure is counted and dropped.
 */
public final class Recorder {
    /** The pools {@link #leased} knows, as its advice names them. */
    public static final int APACHE4 = Pools.APACHE4;
    public static final int APACHE5 = Pools.APACHE5;
    public static final int OKHTTP = Pools.OKHTTP;
    public static final int JDK_HTTP = Pools.JDK;
    public static final int JETTY = Pools.JETTY;
    public static final int REACTOR_NETTY = Pools.REACTOR_NETTY;

    private static final int KEEP = 8;
    private static final int MAX_SITES = 10_000;

    private static final OpenSockets OPEN = new OpenSockets();
    private static final Map<List<StackTraceElement>, Site> SITES = new ConcurrentHashMap<>();
    private static final Site TOO_MANY = new Site(
            List.of(new StackTraceElement("(teardown-agent)", "moreThan" + MAX_SITES + "Sites", null, -1)), false, null);
    private static final LongAdder RECORDED = new LongAdder();
    private static final LongAdder STACKS = new LongAdder();
    private static final AtomicLong FAILURES = new AtomicLong();
    private static final AtomicInteger TAKEN_THIS_SECOND = new AtomicInteger();
    private static volatile long second;
    private static volatile int stacksPerSecond = 1000;
    private static volatile long startedMillis;
    private static volatile Predicate<StackTraceElement> libraryFrames = f -> isLibrary(f.getClassName());

    private Recorder() {}

    /** True for the first caller only: the agent instruments a JVM once, however often it is attached. */
    public static synchronized boolean claimStart() {
        if (startedMillis != 0) {
            return false;
        }
        startedMillis = System.currentTimeMillis();
        return true;
    }

    /**
     * How many stacks the agent takes per second, at most; sockets opened beyond that in the same second are recorded
     * without one ({@link Site#NOT_TAKEN}). {@link Integer#MAX_VALUE}: every socket's.
     */
    public static void stacksPerSecond(int limit) {
        stacksPerSecond = limit;
    }

    /** The budget of stacks per second now. */
    public static int stacksPerSecond() {
        return stacksPerSecond;
    }

    /** Sockets recorded without a stack because of the budget. */
    public static long notTaken() {
        return Math.max(0, RECORDED.sum() - STACKS.sum());
    }

    /** When the agent started recording (ms since the epoch), 0 if it has not. */
    public static long startedMillis() {
        return startedMillis;
    }

    /** Sockets recorded since the start. */
    public static long recorded() {
        return RECORDED.sum();
    }

    /** Records dropped because something failed inside the recorder. */
    public static long failures() {
        return FAILURES.get();
    }

    /** A copy of the records of the descriptors open now, by descriptor. */
    public static Map<Integer, SocketRecord> open() {
        return OPEN.snapshot();
    }

    // ---- called by the advice ----

    /** A JDK channel ({@code sun.nio.ch.SocketChannelImpl}) got descriptor {@code fd}. */
    public static void opened(int fd, boolean accepted) {
        record(0, fd, accepted ? SocketRecord.Kind.ACCEPTED : SocketRecord.Kind.CREATED);
    }

    /** A {@code ServerSocketChannel} got descriptor {@code fd}. */
    public static void listening(int fd) {
        record(0, fd, SocketRecord.Kind.LISTENER);
    }

    /** {@code NioSocketImpl.create}: a socket for a {@code Socket} (or a {@code ServerSocket}, when server). */
    public static void created(FileDescriptor fd, boolean server) {
        if (fd != null) {
            try {
                record(0, Fds.of(fd), server ? SocketRecord.Kind.LISTENER : SocketRecord.Kind.CREATED);
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
                record(0, Fds.of(fd), SocketRecord.Kind.ACCEPTED);
            }
        } catch (Throwable t) {
            FAILURES.incrementAndGet();
        }
    }

    /**
     * A Netty {@code io.netty.channel.unix.Socket} was made around descriptor {@code fd}. Netty's descriptor object
     * is the record's owner: Netty can be handed a number that something else closes and reuses, so only this
     * object's own close drops the record.
     */
    public static void nettySocket(Object socket, int fd) {
        record(System.identityHashCode(socket), fd, SocketRecord.Kind.NETTY);
    }

    /**
     * A Netty channel was built on {@code socket} (a Netty {@code LinuxSocket} or a JDK channel); ties the channel,
     * and the listener it was accepted on, to the socket's record.
     */
    public static void nettyChannel(Object channel, Object socket, Object[] args) {
        try {
            OPEN.link(Netty.fd(socket), Netty.ownerTag(socket), channel, Netty.parentFd(args, socket));
        } catch (Throwable t) {
            FAILURES.incrementAndGet();
        }
    }

    /**
     * A JDK channel is closing descriptor {@code fd}. The agent sees it before the JDK closes the number, so the record
     * there is the channel's own.
     */
    public static void closing(int fd) {
        try {
            OPEN.remove(fd, 0);
        } catch (Throwable t) {
            FAILURES.incrementAndGet();
        }
    }

    /** As {@link #closing(int)} for a {@code Socket} or {@code ServerSocket}, by its descriptor object. */
    public static void closing(FileDescriptor fd) {
        if (fd != null) {
            try {
                OPEN.remove(Fds.of(fd), 0);
            } catch (Throwable t) {
                FAILURES.incrementAndGet();
            }
        }
    }

    /**
     * A pooled HTTP client ({@code client}: 1 Apache HttpClient 4.5, 2 Apache HttpClient 5, 3 OkHttp, 4 the JDK's
     * {@code java.net.http.HttpClient}, 5 Jetty's {@code HttpClient}, 6 Reactor Netty) lent the
     * connection {@code connection} to the calling code: its socket's last application use is this stack (within the
     * stack budget). A connection not connected yet is skipped: the code that connects it is its opening site.
     */
    public static void leased(int client, Object connection) {
        use(client, connection, true);
    }

    /**
     * An asynchronous pooled client (Jetty's, Reactor Netty) was asked for a connection for {@code request}, on the
     * application's thread: its stack (within the stack budget, as a lease's) is held until {@link #leasedFor}, which may
     * run on one of the client's threads, where no application frame is left.
     */
    public static void requested(Object request) {
        if (startedMillis == 0 || request == null) {
            return;
        }
        try {
            if (takeStack(System.currentTimeMillis())) {
                Requests.put(request, new Throwable());
            }
        } catch (Throwable t) {
            FAILURES.incrementAndGet();
        }
    }

    /** The request {@code first} goes on as the object {@code again} (a retry): its held stack moves to it. */
    public static void requestedAgain(Object first, Object again) {
        try {
            Throwable stack = Requests.take(first);
            if (stack != null && again != null) {
                Requests.put(again, stack);
            }
        } catch (Throwable t) {
            FAILURES.incrementAndGet();
        }
    }

    /**
     * The pool of {@code client} lent {@code connection} to {@code request}: as {@link #leased}, with the stack held
     * since {@link #requested}; none when that was over the budget or before the agent came.
     */
    public static void leasedFor(int client, Object request, Object connection) {
        if (startedMillis == 0) {
            return;
        }
        try {
            Throwable stack = Requests.take(request);
            long found = Pools.fdOf(client, connection);
            if (found >= 0) {
                OPEN.use((int) found, client, true, (found & Pools.TLS) != 0, System.currentTimeMillis(), stack);
            }
        } catch (Throwable t) {
            FAILURES.incrementAndGet();
        }
    }

    /** The pool of {@code client} took {@code connection} back: its socket is idle in the pool from now on. */
    public static void released(int client, Object connection) {
        use(client, connection, false);
    }

    private static void use(int client, Object connection, boolean leased) {
        if (startedMillis == 0) {
            return;
        }
        try {
            long found = Pools.fdOf(client, connection);
            if (found >= 0) {
                long now = System.currentTimeMillis();
                OPEN.use((int) found, client, leased, (found & Pools.TLS) != 0, now,
                        leased && takeStack(now) ? new Throwable() : null);
            }
        } catch (Throwable t) {
            FAILURES.incrementAndGet();
        }
    }

    /** The name of a pool's client, as {@link #leased} numbers them. */
    public static String clientName(int client) {
        return Pools.name(client);
    }

    /**
     * Decides which frames are library code (the JDK, teardown, third-party jars): the agent sets it from where each
     * class was loaded. Until it does, only JDK and Netty packages count as library code.
     */
    public static void libraryFrames(Predicate<StackTraceElement> isLibrary) {
        libraryFrames = isLibrary;
    }

    /** Netty's descriptor object {@code socket} is closing {@code fd}: its record goes, unless another made it. */
    public static void nettyClosing(Object socket, int fd) {
        try {
            OPEN.remove(fd, System.identityHashCode(socket));
        } catch (Throwable t) {
            FAILURES.incrementAndGet();
        }
    }

    // ---- the record ----

    private static void record(int ownerTag, int fd, SocketRecord.Kind kind) {
        if (fd < 0 || startedMillis == 0) {
            return;
        }
        try {
            long now = System.currentTimeMillis();
            // a Throwable's backtrace is the cheapest stack the JVM takes (no frame objects), yet a few microseconds
            // where everything else here is a few tens of nanoseconds: hence the budget. It becomes a Site only for
            // sockets that live long enough to matter (see resolveOlderThan) or that a report lists
            OPEN.put(fd, ownerTag, now, kind, takeStack(now) ? new Throwable() : null);
            RECORDED.increment();
        } catch (Throwable t) {
            FAILURES.incrementAndGet();
        }
    }

    /** Within the budget of stacks per second? Racy at the turn of a second, which costs a stack or two at most. */
    private static boolean takeStack(long now) {
        int limit = stacksPerSecond;
        if (limit == Integer.MAX_VALUE) {
            STACKS.increment();
            return true;
        }
        long s = now / 1000;
        if (s != second) {
            second = s;
            TAKEN_THIS_SECOND.set(0);
        }
        // read first: over the budget, a socket does not update the budget's counter
        if (TAKEN_THIS_SECOND.get() >= limit || TAKEN_THIS_SECOND.incrementAndGet() > limit) {
            return false;
        }
        STACKS.increment();
        return true;
    }

    /**
     * Turns the stacks of the sockets open for at least {@code millis} into sites, so that their backtraces are not
     * kept; the agent calls it every second. Sockets that close sooner never pay for it.
     */
    public static void resolveOlderThan(long millis) {
        OPEN.resolveOpenedBefore(System.currentTimeMillis() - millis);
    }

    /**
     * The interned site of a stack: the application's frames (neither the JDK, nor teardown, nor a third-party
     * library; see {@link #libraryFrames}), up to {@value #KEEP}, beginning with the first whatever the depth, and
     * the library frame it called into; when there are none (a socket accepted on a Netty event loop, or opened by a
     * JDK pool thread), the innermost library frames.
     */
    static Site siteOf(Throwable stack) {
        StackTraceElement[] all = stack.getStackTrace();
        Predicate<StackTraceElement> library = libraryFrames;
        List<StackTraceElement> app = new ArrayList<>(KEEP + 1);
        List<StackTraceElement> lib = new ArrayList<>(KEEP);
        StackTraceElement called = null;
        for (int i = 0; i < all.length && app.size() < KEEP; i++) {
            String c = all[i].getClassName();
            if (c.startsWith("dev.teardown.agent.") || isSocketInternals(c)) {
                continue;
            }
            boolean isLib;
            try {
                isLib = library.test(all[i]);
            } catch (RuntimeException e) {
                isLib = isLibrary(c);
            }
            if (isLib) {
                if (app.isEmpty()) {
                    called = all[i];
                    if (lib.size() < KEEP) {
                        lib.add(all[i]);
                    }
                }
                continue;
            }
            app.add(all[i]);
        }
        boolean application = !app.isEmpty();
        List<StackTraceElement> frames = List.copyOf(application ? app : lib);
        StackTraceElement call = application ? called : null; // which client method the application called, if any
        List<StackTraceElement> key = call == null ? frames : new ArrayList<>(frames);
        if (call != null) {
            key.add(call);
        }
        Site site = SITES.get(key);
        if (site != null) {
            return site;
        }
        if (SITES.size() >= MAX_SITES) {
            return TOO_MANY;
        }
        return SITES.computeIfAbsent(List.copyOf(key), k -> new Site(frames, application, call));
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
