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
import dev.teardown.inspect.CloseWaitWatch;
import dev.teardown.inspect.PeerCheck;
import dev.teardown.inspect.SocketOwners;
import dev.teardown.testing.TestLibc;
import dev.teardown.posix.Libc;
import dev.teardown.posix.Os;
import dev.teardown.spawn.ChildProcess;
import dev.teardown.spawn.Inheritance;
import dev.teardown.testing.Kernel;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
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
        /** A regular file opened with open(2): a descriptor that is not a socket. */
        final int file;
        /** A UDP socket the JDK owns: a socket, but not TCP. */
        final DatagramChannel udp;
        /** A JDK TCP channel, closed. */
        final SocketChannel closedJdk;

        Fixture() throws Exception {
            pair = Pair.open(V4);
            // handles create their wake-up eventfd on the first call that blocks; make those exist now, so
            // that only a leak changes the count around the failing call
            assertThrows(TimedOutException.class, () -> pair.listener().accept(ms(1)));
            assertThrows(TimedOutException.class, () -> pair.server().read(ByteBuffer.allocate(1), ms(1)));
            assertThrows(TimedOutException.class, () -> pair.client().read(ByteBuffer.allocate(1), ms(1)));
            reset = Pair.open(V4);
            assertThrows(TimedOutException.class, () -> reset.client().read(ByteBuffer.allocate(1), ms(1)));
            reset.server().close(CloseMode.ABORT);
            closed = pair.client().dup();
            closed.close(CloseMode.RELEASE);
            closedListener = TcpListener.bind(anyPort(V4));
            closedListener.close();
            boundNotListening = new Socket();
            boundNotListening.bind(anyPort(V4));
            file = TestLibc.open(REGULAR_FILE.toString(), TestLibc.O_RDONLY | TestLibc.O_CLOEXEC);
            assertTrue(file >= 0, "open " + REGULAR_FILE);
            udp = DatagramChannel.open().bind(anyPort(V4));
            closedJdk = SocketChannel.open();
            closedJdk.close();
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
            Libc.close(file);
            udp.close();
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
        // ---- more arguments: durations, ports ----
        t.add(iae("read with an overflowing timeout", "timeout", f -> f.live().read(ByteBuffer.allocate(8), overflowing)));
        t.add(iae("accept with a negative timeout", "timeout", f -> f.pair.listener().accept(ms(-1))));
        t.add(iae("TCP_USER_TIMEOUT beyond 2^31 ms", "TCP_USER_TIMEOUT",
                f -> f.live().setOption(TcpOption.TCP_USER_TIMEOUT, Duration.ofDays(30))));
        t.add(iae("SO_LINGER beyond the platform maximum", "SO_LINGER",
                f -> f.live().setOption(TcpOption.SO_LINGER, Duration.ofSeconds(Os.MAX_LINGER_SECONDS + 1))));
        t.add(iae("TCP_LINGER2 of an overflowing duration", "TCP_LINGER2",
                f -> f.live().setOption(TcpOption.TCP_LINGER2, overflowing)));
        t.add(iae("an address with port 65536 (rejected before teardown sees it)", "port",
                f -> TcpSocket.connect(new InetSocketAddress(V4, 65536))));
        t.add(iae("an address with port -1", "port", f -> TcpListener.bind(new InetSocketAddress(V4, -1))));
        t.add(iae("CloseWaitWatch with a negative threshold", "threshold",
                f -> CloseWaitWatch.start(ms(-1), ms(100), null)));
        t.add(iae("CloseWaitWatch with a zero interval", "interval",
                f -> CloseWaitWatch.start(ms(100), Duration.ZERO, null)));
        // ---- closed handles, more calls ----
        t.add(closed("shutdownInput on a closed socket", f -> f.closed.shutdownInput()));
        t.add(closed("closeAsync-started socket used after", f -> {
            TcpSocket d = f.live().dup();
            d.closeAsync(CloseMode.RELEASE);
            d.write(ByteBuffer.allocate(1));
        }));
        // ---- descriptors teardown does not own, and non-socket descriptors, handed to inspection and interop ----
        t.add(kernel("TCP_INFO of a regular file", TcpException.class, "ENOTSOCK", f -> TcpInfo.of(f.file)));
        t.add(kernel("TCP_INFO of a UDP socket", TcpException.class, "ENOPROTOOPT",
                f -> TcpInfo.of(Inheritance.fdOf(f.udp))));
        t.add(kernel("TCP_INFO of a descriptor that is not open", SocketClosedException.class, "EBADF",
                f -> TcpInfo.of(NOT_OPEN)));
        t.add(kernel("TCP_INFO of descriptor -1", SocketClosedException.class, "EBADF", f -> TcpInfo.of(-1)));
        t.add(kernel("TCP_INFO of a closed JDK channel", SocketClosedException.class, "EBADF",
                f -> TcpInfo.of(f.closedJdk)));
        t.add(kernel("TCP state of a regular file", TcpException.class, "ENOTSOCK", f -> TcpInfo.stateOf(f.file)));
        t.add(kernel("peer check of a descriptor that is not open", SocketClosedException.class, "EBADF",
                f -> PeerCheck.isPeerClosed(NOT_OPEN)));
        t.add(kernel("peer check of descriptor -1", SocketClosedException.class, "EBADF", f -> PeerCheck.isPeerClosed(-1)));
        t.add(kernel("peer check of a closed JDK channel", SocketClosedException.class, "EBADF",
                f -> PeerCheck.isPeerClosed(f.closedJdk)));
        t.add(kernel("close-on-exec for a descriptor that is not open", SocketClosedException.class, "EBADF",
                f -> Inheritance.setCloseOnExec(NOT_OPEN)));
        t.add(iae("close-on-exec for descriptor -1", "fd", f -> Inheritance.setCloseOnExec(-1)));
        t.add(iae("the descriptor of a null channel", "channel", f -> Inheritance.fdOf(null)));
        // ---- spawn ----
        t.add(iae("a child without a command", "command", f -> ChildProcess.builder()));
        t.add(iae("a child command containing null", "null", f -> ChildProcess.builder("true", null)));
        t.add(iae("a child inheriting a null socket", "socket", f -> ChildProcess.builder("true").inherit(null, 3)));
        t.add(iae("a child inheriting at fd -1", "childFd", f -> ChildProcess.builder("true").inherit(f.live(), -1)));
        t.add(iae("a child inheriting at fd 65536", "childFd",
                f -> ChildProcess.builder("true").inherit(f.live(), 65536)));
        t.add(iae("two sockets for one child fd", "childFd",
                f -> ChildProcess.builder("true").inherit(f.live(), 3).inherit(f.pair.server(), 3)));
        t.add(iae("a child environment name with '='", "environment",
                f -> ChildProcess.builder("true").environment("A=B", "c")));
        t.add(closed("a child inheriting a closed socket",
                f -> ChildProcess.builder("true").inherit(f.closed, 3).stdioToDevNull().start()));
        t.add(new Case("a child program that does not exist", IOException.class, "teardown-no-such-program", null,
                f -> ChildProcess.builder("/nonexistent/teardown-no-such-program").stdioToDevNull().start()));
        return t.stream().map(c -> Arguments.of(c.name(), c));
    }

    /** A descriptor number no process here has open. */
    static final int NOT_OPEN = 1_000_000;
    static Path REGULAR_FILE;

    @BeforeAll
    static void regularFile() throws IOException {
        REGULAR_FILE = Files.createTempFile("teardown-bad-input", ".txt");
        Files.writeString(REGULAR_FILE, "not a socket");
    }

    @AfterAll
    static void deleteRegularFile() throws IOException {
        Files.deleteIfExists(REGULAR_FILE);
    }

    @BeforeAll
    static void warmUp() throws Exception {
        // load classes and native code once, so that nothing the JVM caches is counted as a leak
        regularFile();
        try (Fixture f = new Fixture()) {
            assertThrows(TimedOutException.class, () -> f.live().read(ByteBuffer.allocate(8), ms(10)));
            assertThrows(TcpException.class, () -> TcpSocket.connect(f.refusing()));
            assertThrows(TcpException.class, () -> TcpInfo.of(f.file));
            assertThrows(TcpException.class, () -> PeerCheck.isPeerClosed(NOT_OPEN));
            ChildProcess c = ChildProcess.builder("true").stdioToDevNull().start();
            c.waitFor(Duration.ofSeconds(5));
            assertThrows(IOException.class, () -> ChildProcess.builder("/nonexistent/x").stdioToDevNull().start());
            try (SocketChannel jdk = SocketChannel.open(f.listening())) {
                f.pair.listener().accept(Duration.ofSeconds(2)).close(CloseMode.ABORT);
                TcpInfo.of(jdk);
            }
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
            if (t instanceof SocketClosedException e && !"EBADF".equals(c.errno())) {
                assertEquals(0, e.errno(), "a closed handle is detected by teardown, never by EBADF: " + t);
            }
            assertEquals(before, Kernel.awaitOpenFds(before, 2000), name + ": the failed call leaked a descriptor; now "
                    + Net.fdLinks());
        }
        assertEquals(atStart, Kernel.awaitOpenFds(atStart, 2000), name + ": descriptors leaked; was " + linksAtStart
                + " now " + Net.fdLinks());
    }

    @Test
    void theTablesHaveAtLeastThirtyRows() {
        long rows = cases().count() + documented().count() + modes().count();
        System.out.println("bad input: " + cases().count() + " inputs with a named exception, " + documented().count()
                + " documented results, double close in " + modes().count() + " modes: " + rows + " cases");
        assertTrue(rows >= 30, "rows: " + rows);
    }

    // ---- misuses with a documented result rather than an exception ----

    /** A misuse whose documented result is a value, not an exception: the check says what the docs promise. */
    record Documented(String name, Action action) {}

    static Stream<Arguments> documented() {
        List<Documented> t = new ArrayList<>();
        t.add(new Documented("read after shutdownInput returns end of stream at once", f -> {
            f.live().shutdownInput();
            assertEquals(-1, f.live().read(ByteBuffer.allocate(8), ms(500)));
            assertEquals(-1, f.live().read(ByteBuffer.allocate(8)));
        }));
        t.add(new Documented("shutdownOutput twice: the second does nothing", f -> {
            f.live().shutdownOutput();
            f.live().shutdownOutput();
            assertEquals(-1, f.pair.server().read(ByteBuffer.allocate(8), ms(2000)), "one FIN, EOF at the peer");
        }));
        t.add(new Documented("ABORT after shutdownOutput: FIN, then RST", f -> {
            f.live().shutdownOutput();
            CloseOutcome o = f.live().close(CloseMode.ABORT);
            assertEquals(Sent.FIN_THEN_RST, o.sent(), o.toString());
        }));
        t.add(new Documented("ABORT after SHUTDOWN: already closed, nothing sent", f -> {
            f.live().close(CloseMode.SHUTDOWN);
            CloseOutcome o = f.live().close(CloseMode.ABORT);
            assertTrue(o.wasAlreadyClosed() && o.sent() == Sent.NOTHING, o.toString());
        }));
        t.add(new Documented("close of a connection the peer reset: nothing sent, and it says so", f -> {
            assertThrows(ConnectionResetException.class, () -> f.reset.client().read(ByteBuffer.allocate(8), ms(2000)));
            CloseOutcome o = f.reset.client().close(CloseMode.SHUTDOWN);
            assertEquals(Sent.NOTHING, o.sent(), o.toString());
            assertTrue(o.detail().contains("reset"), o.detail());
        }));
        t.add(new Documented("graceful with a zero timeout: FIN, then RST at once", f -> {
            CloseOutcome o = f.live().close(CloseMode.graceful(Duration.ZERO));
            assertTrue(o.deadlineExpired() && o.sent() == Sent.FIN_THEN_RST, o.toString());
        }));
        t.add(new Documented("read into a full buffer returns 0 without waiting",
                f -> assertEquals(0, f.live().read(ByteBuffer.allocate(0)))));
        t.add(new Documented("write of an empty buffer returns 0",
                f -> assertEquals(0, f.live().write(ByteBuffer.allocate(0)))));
        t.add(new Documented("a listener used as a connection: TCP_INFO reads LISTEN",
                f -> assertEquals(TcpState.LISTEN, TcpInfo.of(f.pair.listener().fd()).state())));
        t.add(new Documented("a listener used as a connection: the peer check says not closed",
                f -> assertFalse(PeerCheck.isPeerClosed(f.pair.listener().fd()))));
        t.add(new Documented("bind to port 0 picks a free port",
                f -> {
                    try (TcpListener l = TcpListener.bind(anyPort(V4))) {
                        assertTrue(l.localAddress().getPort() > 0);
                    }
                }));
        t.add(new Documented("TCP_INFO of a socket teardown does not own (a JDK channel) reads it, read-only", f -> {
            try (SocketChannel jdk = SocketChannel.open(f.listening())) {
                TcpSocket accepted = f.pair.listener().accept(Duration.ofSeconds(2));
                assertEquals(TcpState.ESTABLISHED, TcpInfo.of(jdk).state());
                assertTrue(jdk.isOpen());
                accepted.close(CloseMode.ABORT);
            }
        }));
        t.add(new Documented("close-on-exec for a descriptor teardown does not own (a JDK channel)", f -> {
            Inheritance.setCloseOnExec(f.udp);
            assertTrue(Kernel.isCloexec(Inheritance.fdOf(f.udp)));
        }));
        t.add(new Documented("the inode of a regular file, and of a descriptor not open, is empty", f -> {
            assertTrue(SocketOwners.inodeOf(f.file).isEmpty());
            assertTrue(SocketOwners.inodeOf(NOT_OPEN).isEmpty());
            assertTrue(SocketOwners.inodeOf(-1).isEmpty());
        }));
        t.add(new Documented("the holders of an inode nobody holds: none",
                f -> assertTrue(SocketOwners.of(Long.MAX_VALUE).holders().isEmpty())));
        t.add(new Documented("killing a child that has exited does nothing", f -> {
            ChildProcess c = ChildProcess.builder("true").stdioToDevNull().start();
            assertTrue(c.waitFor(Duration.ofSeconds(5)));
            c.kill();
            c.terminate();
            assertEquals(0, c.exitValue().getAsInt());
        }));
        return t.stream().map(d -> Arguments.of(d.name(), d));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("documented")
    void documentedMisuseGetsItsDocumentedResultAndLeaksNoDescriptor(String name, Documented d) throws Exception {
        int atStart = Net.baselineOpenFds();
        java.util.Map<Integer, String> linksAtStart = Net.fdLinks();
        try (Fixture f = new Fixture()) {
            d.action().run(f);
        }
        assertEquals(atStart, Kernel.awaitOpenFds(atStart, 2000), name + ": descriptors leaked; was " + linksAtStart
                + " now " + Net.fdLinks());
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
