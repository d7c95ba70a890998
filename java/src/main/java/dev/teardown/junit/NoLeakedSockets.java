package dev.teardown.junit;

import dev.teardown.TcpException;
import dev.teardown.inspect.AllocationSites;
import dev.teardown.inspect.TcpEntry;
import dev.teardown.TcpInfo;
import dev.teardown.TcpState;
import dev.teardown.inspect.TcpTable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A JUnit 5 extension that fails a test which leaves sockets of this process in CLOSE_WAIT, or leaves more
 * descriptors open than there were before it. After the test it gives the kernel and the test's own threads a
 * short time to settle (500 ms unless changed), then fails with a listing of each offending descriptor: its
 * number, what it is, the TCP state and addresses of sockets, and where the socket was opened when
 * {@link AllocationSites} tracking is on.
 * <!-- example: dev.teardown.snippets.JUnitSnippets#extension, a copy JavadocExamplesTest keeps equal to that compiled, tested region -->
 * <pre>
 * &#64;ExtendWith(NoLeakedSockets.class) // fails a test that leaves a socket in CLOSE_WAIT or a descriptor open
 * static class ServerTestExample {
 *     &#64;Test
 *     void closesEveryConnection() throws Exception {
 *         try (TcpListener listener = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
 *              TcpSocket client = TcpSocket.connect(listener.localAddress());
 *              TcpSocket server = listener.accept()) {
 *             client.close(CloseMode.SHUTDOWN);
 *             server.close(CloseMode.SHUTDOWN); // without it: CLOSE_WAIT, and the test fails
 *         }
 *     }
 * }
 * </pre>
 * With settings:
 * <!-- example: dev.teardown.snippets.JUnitSnippets#settings, a copy JavadocExamplesTest keeps equal to that compiled, tested region -->
 * <pre>
 * &#64;RegisterExtension
 * static NoLeakedSockets noLeaks = new NoLeakedSockets().settleFor(Duration.ofMillis(200)); // 500 ms by default
 * </pre>
 * Every socket of the process counts, whoever opened it (teardown, JDK channels, Netty...). The CLOSE_WAIT
 * check reads each socket's TCP_INFO, so it also sees sockets in other network namespaces; addresses come from
 * the socket table of the current one. Descriptors are compared by count, as other threads of the JVM may open
 * and close some of their own meanwhile; the listing names the ones that were not there before.
 *
 * <p>Descriptors the JDK opens once and keeps on first use (SecureRandom's {@code /dev/urandom} on the first
 * temporary file, a name-service socket) count against the test that first triggers them; warm such paths up in a
 * {@code @BeforeAll} if they show up.
 *
 * <p>The JUnit Jupiter API is an optional dependency of teardown: add {@code junit-jupiter} to your tests.
 */
public final class NoLeakedSockets implements BeforeEachCallback, AfterEachCallback {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(NoLeakedSockets.class);
    private static final String OWN_LISTING = "/proc/" + ProcessHandle.current().pid() + "/fd";

    private final Duration settle;
    private final boolean trackSites;

    /** Settles for 500 ms; allocation sites are listed if tracking is already on. */
    public NoLeakedSockets() {
        this(Duration.ofMillis(500), false);
    }

    private NoLeakedSockets(Duration settle, boolean trackSites) {
        this.settle = settle;
        this.trackSites = trackSites;
    }

    /**
     * How long to wait after a test for sockets to leave CLOSE_WAIT and for descriptors to be closed.
     *
     * @throws IllegalArgumentException if {@code settle} is null or negative
     */
    public NoLeakedSockets settleFor(Duration settle) {
        if (settle == null || settle.isNegative()) {
            throw new IllegalArgumentException("settle must be >= 0, got " + settle);
        }
        return new NoLeakedSockets(settle, trackSites);
    }

    /**
     * Turns {@link AllocationSites} tracking on before each test, so that failures say where each leaked
     * socket was opened (it stays on afterwards).
     */
    public NoLeakedSockets trackingAllocationSites() {
        return new NoLeakedSockets(settle, true);
    }

    /** The settle time. */
    public Duration settle() {
        return settle;
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (trackSites) {
            AllocationSites.enable();
        }
        context.getStore(NAMESPACE).put(context.getUniqueId(), Snapshot.take());
    }

    @Override
    public void afterEach(ExtensionContext context) {
        Snapshot before = context.getStore(NAMESPACE).remove(context.getUniqueId(), Snapshot.class);
        if (before == null) {
            return;
        }
        long deadline = System.nanoTime() + settle.toNanos();
        Snapshot after;
        for (;;) {
            after = Snapshot.take();
            if (after.fds.size() <= before.fds.size() && after.newCloseWait(before).isEmpty()) {
                return;
            }
            if (System.nanoTime() - deadline >= 0) {
                break;
            }
            sleep(Math.min(25, Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()))));
        }
        throw new AssertionError(report(context, before, after));
    }

    private String report(ExtensionContext context, Snapshot before, Snapshot after) {
        Map<Long, TcpEntry> table = new HashMap<>();
        try {
            for (TcpEntry e : TcpTable.snapshot()) {
                if (e.inode() != 0) {
                    table.put(e.inode(), e);
                }
            }
        } catch (RuntimeException e) {
            // addresses are a bonus; states come from TCP_INFO
        }
        StringBuilder b = new StringBuilder(context.getDisplayName()).append(" leaked sockets or descriptors (checked ")
                .append(settle.toMillis()).append(" ms after the test):");
        List<Integer> cw = after.newCloseWait(before);
        if (!cw.isEmpty()) {
            b.append("\n  ").append(cw.size()).append(cw.size() == 1 ? " socket" : " sockets")
                    .append(" of this process left in CLOSE_WAIT (the peer closed; this process never did):");
            for (int fd : cw) {
                b.append("\n    ").append(describe(fd, after, table));
            }
        }
        int more = after.fds.size() - before.fds.size();
        if (more > 0) {
            b.append("\n  ").append(more).append(more == 1 ? " descriptor" : " descriptors").append(" more than before the test (")
                    .append(before.fds.size()).append(" -> ").append(after.fds.size()).append("); new since then:");
            for (Map.Entry<Integer, String> e : after.fds.entrySet()) {
                if (!e.getValue().equals(before.fds.get(e.getKey()))) {
                    b.append("\n    ").append(describe(e.getKey(), after, table));
                }
            }
        }
        if (!AllocationSites.isEnabled()) {
            b.append("\n  (allocation sites not tracked: AllocationSites.enable(), or"
                    + " new NoLeakedSockets().trackingAllocationSites())");
        }
        return b.toString();
    }

    private static String describe(int fd, Snapshot s, Map<Long, TcpEntry> table) {
        String link = s.fds.get(fd);
        StringBuilder b = new StringBuilder("fd ").append(fd).append(' ').append(link);
        long inode = inodeOf(link);
        if (inode <= 0) {
            return b.toString();
        }
        TcpState state = s.states.get(fd);
        TcpEntry e = table.get(inode);
        if (state == null && e != null) {
            state = e.state();
        }
        b.append(state == null ? " (not a TCP socket, or closed meanwhile)" : " TCP " + state);
        if (e != null) {
            b.append(' ').append(format(e.local())).append(" -> ").append(format(e.remote()));
        }
        Optional<Throwable> site = AllocationSites.siteOf(inode);
        site.ifPresent(t -> b.append(", opened at ").append(caller(t.getStackTrace())));
        return b.toString();
    }

    private static String format(InetSocketAddress a) {
        if (a == null) {
            return "?";
        }
        String host = a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    /** The first frame outside teardown's own classes: the code that opened the socket. */
    private static String caller(StackTraceElement[] st) {
        for (StackTraceElement e : st) {
            if (!isLibrary(e.getClassName())) {
                return e.toString();
            }
        }
        return st.length > 0 ? st[0].toString() : "?";
    }

    private static boolean isLibrary(String className) {
        if (!className.startsWith("dev.teardown.")) {
            return false;
        }
        try {
            Class<?> c = Class.forName(className, false, NoLeakedSockets.class.getClassLoader());
            return Objects.equals(c.getProtectionDomain().getCodeSource(),
                    NoLeakedSockets.class.getProtectionDomain().getCodeSource());
        } catch (ClassNotFoundException | SecurityException | LinkageError e) {
            return true;
        }
    }

    private static long inodeOf(String link) {
        if (link == null || !link.startsWith("socket:[") || !link.endsWith("]")) {
            return -1;
        }
        try {
            return Long.parseLong(link, 8, link.length() - 1, 10);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for sockets to settle", e);
        }
    }

    /** The process's descriptors (number to link) and the TCP state of each socket among them. */
    private static final class Snapshot {
        final Map<Integer, String> fds;
        final Map<Integer, TcpState> states;

        static {
            // load the native binding before the first listing, so that what it opens once is not counted
            try {
                TcpInfo.of(-1);
            } catch (TcpException | RuntimeException | LinkageError expected) {
                // EBADF
            }
        }

        private Snapshot(Map<Integer, String> fds, Map<Integer, TcpState> states) {
            this.fds = fds;
            this.states = states;
        }

        static Snapshot take() {
            Map<Integer, String> fds = new TreeMap<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(Paths.get("/proc/self/fd"))) {
                for (Path p : ds) {
                    try {
                        String link = Files.readSymbolicLink(p).toString();
                        if (!link.equals(OWN_LISTING)) {
                            fds.put(Integer.parseInt(p.getFileName().toString()), link);
                        }
                    } catch (IOException gone) {
                        // the listing's own descriptor, or one closed meanwhile
                    }
                }
            } catch (IOException e) {
                throw new IllegalStateException("NoLeakedSockets needs /proc/self/fd (Linux): " + e.getMessage(), e);
            }
            Map<Integer, TcpState> states = new HashMap<>();
            for (Map.Entry<Integer, String> e : fds.entrySet()) {
                if (inodeOf(e.getValue()) > 0) {
                    try {
                        // read-only: at worst, a number closed and reused meanwhile reads another socket's state
                        states.put(e.getKey(), TcpInfo.of(e.getKey()).state());
                    } catch (TcpException | RuntimeException notTcp) {
                        // a UNIX or netlink socket, or closed meanwhile
                    }
                }
            }
            return new Snapshot(fds, states);
        }

        /** Descriptors of sockets in CLOSE_WAIT now that were not the same socket in CLOSE_WAIT in {@code before}. */
        List<Integer> newCloseWait(Snapshot before) {
            List<Integer> out = new ArrayList<>();
            states.forEach((fd, st) -> {
                if (st == TcpState.CLOSE_WAIT
                        && !(before.states.get(fd) == TcpState.CLOSE_WAIT && fds.get(fd).equals(before.fds.get(fd)))) {
                    out.add(fd);
                }
            });
            out.sort(null);
            return out;
        }
    }
}
