package dev.teardown;

import static dev.teardown.Net.V4;
import static dev.teardown.Net.anyPort;
import static dev.teardown.Net.ms;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.teardown.CloseOutcome.Sent;
import dev.teardown.Net.Pair;
import dev.teardown.posix.Os;
import dev.teardown.testing.Kernel;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A table of bad inputs and misuses. Each gets its named exception (the exact class, naming the argument
 * or carrying the errno), and none leaks a descriptor: the process's fd count, from /proc/self/fd, is the
 * same after the failed call as before it, and again after the fixture is closed.
 */
@Timeout(30)
class BadInputTest {

    /** What every case gets to misuse: a live connection, closed handles, a port bound but not listening. */
    static final class Fixture implements AutoCloseable {
        final Pair pair;
        final Pair reset;
        final TcpSocket closed;
        final TcpListener closedListener;
        final Socket boundNotListening;

        Fixture() throws Exception {
            pair = Pair.open(V4);
            // handles create their wake-up eventfd on the first call that blocks; make those exist now, so
            // that only a leak changes the count around the failing call
            assertThrows(TimedOutException.class, () -> pair.listener().accept(ms(1)));
            assertThrows(TimedOutException.class, () -> pair.server().read(ByteBuffer.allocate(1), ms(1)));
            reset = Pair.open(V4);
            reset.server().close(CloseMode.ABORT);
            closed = pair.client().dup();
            closed.close(CloseMode.RELEASE);
            closedListener = TcpListener.bind(anyPort(V4));
            closedListener.close();
            boundNotListening = new Socket();
            boundNotListening.bind(anyPort(V4));
        }

        TcpSocket live() {
            return pair.client();
        }

        InetSocketAddress listening() {
            return pair.listener().localAddress();
        }

        InetSocketAddress refusing() {
            return new InetSocketAddress(V4, boundNotListening.getLocalPort());
        }

        @Override
        public void close() throws Exception {
            pair.close();
            reset.close();
            boundNotListening.close();
        }
    }

    @FunctionalInterface
    interface Action {
        void run(Fixture f) throws Exception;
    }

    /** One row: the exception class expected exactly, a word its message must contain, the errno if any. */
    record Case(String name, Class<? extends Throwable> type, String mention, String errno, Action action) {}

    private static Case iae(String name, String argument, Action a) {
        return new Case(name, IllegalArgumentException.class, argument, null, a);
    }

    private static Case closed(String name, Action a) {
        return new Case(name, SocketClosedException.class, "closed", null, a);
    }

    private static Case kernel(String name, Class<? extends TcpException> type, String errno, Action a) {
        return new Case(name, type, "", errno, a);
    }

    static Stream<Arguments> cases() {
        Duration overflowing = Duration.ofSeconds(Long.MAX_VALUE);
        List<Case> t = new ArrayList<>();
        // ---- arguments ----
        t.add(iae("connect to null", "remote", f -> TcpSocket.connect(null)));
        t.add(iae("connect to an unresolved address", "remote",
                f -> TcpSocket.connect(InetSocketAddress.createUnresolved("teardown.invalid", 80))));
        t.add(iae("connect to port 0", "port 0", f -> TcpSocket.connect(new InetSocketAddress(V4, 0))));
        t.add(iae("connect with a negative timeout", "timeout", f -> TcpSocket.connect(f.listening(), ms(-1))));
        t.add(iae("connect with an overflowing timeout", "timeout", f -> TcpSocket.connect(f.listening(), overflowing)));
        t.add(iae("connect with a null timeout", "timeout", f -> TcpSocket.connect(f.listening(), null)));
        t.add(iae("read with a negative timeout", "timeout", f -> f.live().read(ByteBuffer.allocate(8), ms(-5))));
        t.add(iae("accept with an overflowing timeout", "timeout", f -> f.pair.listener().accept(overflowing)));
        t.add(iae("linger beyond the SO_LINGER maximum", "timeout",
                f -> CloseMode.linger(Duration.ofSeconds(Os.MAX_LINGER_SECONDS + 1))));
        t.add(iae("linger with a negative time", "timeout", f -> CloseMode.linger(ms(-1))));
        t.add(iae("graceful with a negative drain limit", "maxDrainBytes",
                f -> CloseMode.graceful(Duration.ofSeconds(1), -1)));
        t.add(iae("graceful with a null timeout", "timeout", f -> CloseMode.graceful(null)));
        t.add(iae("graceful with an overflowing timeout", "timeout", f -> CloseMode.graceful(overflowing)));
        t.add(iae("bind with backlog 0", "backlog", f -> TcpListener.bind(anyPort(V4), 0)));
        t.add(iae("bind to null", "address", f -> TcpListener.bind(null)));
        t.add(iae("bind to an unresolved address", "address",
                f -> TcpListener.bind(InetSocketAddress.createUnresolved("teardown.invalid", 0))));
        t.add(iae("TCP_KEEPCNT 0", "TCP_KEEPCNT", f -> f.live().setOption(TcpOption.TCP_KEEPCNT, 0)));
        t.add(iae("TCP_KEEPCNT 200", "TCP_KEEPCNT", f -> f.live().setOption(TcpOption.TCP_KEEPCNT, 200)));
        t.add(iae("TCP_KEEPIDLE 0 s", "TCP_KEEPIDLE", f -> f.live().setOption(TcpOption.TCP_KEEPIDLE, Duration.ZERO)));
        t.add(iae("TCP_KEEPINTVL above 32767 s", "TCP_KEEPINTVL",
                f -> f.live().setOption(TcpOption.TCP_KEEPINTVL, Duration.ofSeconds(32768))));
        t.add(iae("TCP_LINGER2 above 120 s", "TCP_LINGER2",
                f -> f.live().setOption(TcpOption.TCP_LINGER2, Duration.ofSeconds(121))));
        t.add(iae("SO_RCVBUF -1", "SO_RCVBUF", f -> f.live().setOption(TcpOption.SO_RCVBUF, -1)));
        t.add(iae("SO_LINGER negative", "SO_LINGER", f -> f.live().setOption(TcpOption.SO_LINGER, ms(-1))));
        t.add(iae("TCP_USER_TIMEOUT negative", "TCP_USER_TIMEOUT",
                f -> f.live().setOption(TcpOption.TCP_USER_TIMEOUT, ms(-1))));
        t.add(iae("TCP_NODELAY null", "TCP_NODELAY", f -> f.live().setOption(TcpOption.TCP_NODELAY, null)));
        t.add(iae("an option of the wrong type", "TCP_NODELAY", BadInputTest::wrongType));
        t.add(iae("a null option", "option", f -> f.live().setOption(null, 1)));
        t.add(iae("a listener option out of range", "SO_SNDBUF",
                f -> TcpListener.builder().option(TcpOption.SO_SNDBUF, 0)));
        t.add(iae("read into null", "dst", f -> f.live().read(null)));
        t.add(iae("read into a read-only buffer", "dst", f -> f.live().read(ByteBuffer.allocate(8).asReadOnlyBuffer())));
        t.add(iae("write from null", "src", f -> f.live().write(null)));
        t.add(iae("close with a null mode", "mode", f -> f.live().close(null)));
        t.add(iae("closeAsync on a null executor", "executor", f -> f.live().closeAsync(CloseMode.RELEASE, null)));
        t.add(iae("a null default close mode", "mode", f -> f.live().defaultCloseMode(null)));
        // ---- closed handles ----
        t.add(closed("read on a closed socket", f -> f.closed.read(ByteBuffer.allocate(8))));
        t.add(closed("timed read on a closed socket", f -> f.closed.read(ByteBuffer.allocate(8), ms(100))));
        t.add(closed("write on a closed socket", f -> f.closed.write(ByteBuffer.allocate(8))));
        t.add(closed("dup of a closed socket", f -> f.closed.dup()));
        t.add(closed("setOption on a closed socket", f -> f.closed.setOption(TcpOption.TCP_NODELAY, true)));
        t.add(closed("option on a closed socket", f -> f.closed.option(TcpOption.SO_RCVBUF)));
        t.add(closed("shutdownOutput on a closed socket", f -> f.closed.shutdownOutput()));
        t.add(closed("localAddress of a closed socket", f -> f.closed.localAddress()));
        t.add(closed("fd of a closed socket", f -> f.closed.fd()));
        t.add(closed("accept on a closed listener", f -> f.closedListener.accept()));
        t.add(closed("timed accept on a closed listener", f -> f.closedListener.accept(ms(100))));
        t.add(closed("fd of a closed listener", f -> f.closedListener.fd()));
        // ---- the kernel says no ----
        t.add(kernel("write after shutdownOutput", TcpException.class, "EPIPE", f -> {
            f.live().shutdownOutput();
            f.live().write(ByteBuffer.allocate(8));
        }));
        t.add(kernel("connect refused", ConnectionRefusedException.class, "ECONNREFUSED",
                f -> TcpSocket.connect(f.refusing())));
        t.add(kernel("connect refused, with a timeout", ConnectionRefusedException.class, "ECONNREFUSED",
                f -> TcpSocket.connect(f.refusing(), Duration.ofSeconds(2))));
        t.add(kernel("bind to an address in use", AddressInUseException.class, "EADDRINUSE",
                f -> TcpListener.bind(f.listening())));
        t.add(kernel("bind to an IPv6 scope id that does not exist", TcpException.class, "ENODEV",
                f -> TcpListener.bind(new InetSocketAddress(linkLocal(9999), 0))));
        t.add(kernel("connect to an IPv6 scope id that does not exist", TcpException.class, "ENETUNREACH",
                f -> TcpSocket.connect(new InetSocketAddress(linkLocal(9999), 80), Duration.ofSeconds(2))));
        t.add(kernel("connect to a full backlog times out", TimedOutException.class, "none", BadInputTest::fullBacklog));
        t.add(kernel("accept times out", TimedOutException.class, "none", f -> f.pair.listener().accept(ms(50))));
        t.add(kernel("read times out", TimedOutException.class, "none", f -> f.live().read(ByteBuffer.allocate(8), ms(50))));
        t.add(kernel("read after the peer's RST", ConnectionResetException.class, "ECONNRESET",
                f -> f.reset.client().read(ByteBuffer.allocate(8), Duration.ofSeconds(2))));
        t.add(kernel("write after the peer's RST", ConnectionResetException.class, "ECONNRESET",
                f -> f.reset.client().write(ByteBuffer.allocate(8))));
        return t.stream().map(c -> Arguments.of(c.name(), c));
    }

    @BeforeAll
    static void warmUp() throws Exception {
        // load classes and native code once, so that nothing the JVM caches is counted as a leak
        try (Fixture f = new Fixture()) {
            assertThrows(TimedOutException.class, () -> f.live().read(ByteBuffer.allocate(8), ms(10)));
            assertThrows(TcpException.class, () -> TcpSocket.connect(f.refusing()));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void badInputGetsItsNamedExceptionAndLeaksNoDescriptor(String name, Case c) throws Exception {
        int atStart = Net.baselineOpenFds();
        java.util.Map<Integer, String> linksAtStart = Net.fdLinks();
        try (Fixture f = new Fixture()) {
            int before = Net.baselineOpenFds();
            Throwable t = assertThrows(Throwable.class, () -> c.action().run(f));
            assertEquals(c.type(), t.getClass(), name + ": " + t);
            assertTrue(String.valueOf(t.getMessage()).contains(c.mention()),
                    name + ": the message must mention '" + c.mention() + "': " + t.getMessage());
            if (c.errno() != null) {
                assertEquals(c.errno(), ((TcpException) t).errnoName(), name + ": " + t);
                assertFalse(((TcpException) t).call().isEmpty(), "names the call");
            }
            if (t instanceof SocketClosedException e) {
                assertEquals(0, e.errno(), "a closed handle is detected by teardown, never by EBADF: " + t);
            }
            assertEquals(before, Kernel.awaitOpenFds(before, 2000), name + ": the failed call leaked a descriptor; now "
                    + Net.fdLinks());
        }
        assertEquals(atStart, Kernel.awaitOpenFds(atStart, 2000), name + ": descriptors leaked; was " + linksAtStart
                + " now " + Net.fdLinks());
    }

    @Test
    void theTableHasAtLeastFifteenRows() {
        assertTrue(cases().count() >= 15);
    }

    // ---- double close ----

    static Stream<CloseMode> modes() {
        return Stream.of(CloseMode.RELEASE, CloseMode.SHUTDOWN, CloseMode.ABORT, CloseMode.graceful(ms(200)),
                CloseMode.linger(ms(200)));
    }

    /** Closing a closed handle is a documented no-op in every mode, whatever mode closed it first. */
    @ParameterizedTest(name = "first {0}")
    @MethodSource("modes")
    void doubleCloseIsANoOpInEveryMode(CloseMode first) throws Exception {
        int atStart = Net.baselineOpenFds();
        try (Pair p = Pair.open(V4)) {
            long closes = CloseHook.count();
            CloseOutcome o = p.server().close(first);
            assertFalse(o.wasAlreadyClosed(), o.toString());
            assertEquals(1, CloseHook.count() - closes);
            int fds = Net.baselineOpenFds();
            for (CloseMode again : modes().toList()) {
                CloseOutcome o2 = p.server().close(again);
                assertTrue(o2.wasAlreadyClosed(), again + " after " + first + ": " + o2);
                assertEquals(Sent.NOTHING, o2.sent(), o2.toString());
                assertFalse(o2.rstSent());
                CloseOutcome o3 = p.server().closeAsync(again).join();
                assertTrue(o3.wasAlreadyClosed(), o3.toString());
            }
            p.server().close();
            assertEquals(1, CloseHook.count() - closes, "close(2) ran once for the handle");
            assertEquals(fds, Kernel.awaitOpenFds(fds, 2000));
            p.listener().close();
            p.listener().close();
        }
        assertEquals(atStart, Kernel.awaitOpenFds(atStart, 2000));
    }

    // ---- helpers ----

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void wrongType(Fixture f) throws Exception {
        TcpOption raw = TcpOption.TCP_NODELAY;
        f.live().setOption(raw, 1);
    }

    private static InetAddress linkLocal(int scope) throws Exception {
        return Inet6Address.getByAddress(null, InetAddress.getByName("fe80::1").getAddress(), scope);
    }

    /** backlog 1 queues two connections; the kernel drops the third SYN, so its connect times out. */
    private static void fullBacklog(Fixture f) throws Exception {
        List<TcpSocket> queued = new ArrayList<>();
        try (TcpListener l = TcpListener.bind(anyPort(V4), 1)) {
            try {
                queued.add(TcpSocket.connect(l.localAddress(), Duration.ofSeconds(2)));
                queued.add(TcpSocket.connect(l.localAddress(), Duration.ofSeconds(2)));
                TcpSocket.connect(l.localAddress(), ms(300));
            } finally {
                for (TcpSocket s : queued) {
                    s.close(CloseMode.ABORT);
                }
            }
        }
    }

}
