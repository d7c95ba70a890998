package dev.teardown.bench;

import dev.teardown.CloseMode;
import dev.teardown.jdk.JdkSockets;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Closing a blocking JDK {@link SocketChannel} through {@link JdkSockets#close(SocketChannel, CloseMode)} against
 * the JDK's own sequence for the same mode, per mode: the price of the outcome (FIONREAD, SIOCOUTQ, SO_LINGER and
 * TCP-state reads, the descriptor lookup). Measured as {@link CloseLatency} measures: a fresh connection to the
 * shared C listener per close, made in an untimed {@code Level.Invocation} set-up; SampleTime of the close alone.
 *
 * <table>
 * <tr><th>mode</th><th>jdk</th><th>teardown</th></tr>
 * <tr><td>release</td><td>close()</td><td>RELEASE</td></tr>
 * <tr><td>shutdown</td><td>shutdownOutput(), shutdownInput(), close()</td><td>SHUTDOWN</td></tr>
 * <tr><td>abort</td><td>SO_LINGER 0, close()</td><td>ABORT</td></tr>
 * <tr><td>graceful</td><td>shutdownOutput(), read to EOF, close()</td><td>graceful(2 s)</td></tr>
 * <tr><td>linger</td><td>after a 1-byte exchange: SO_LINGER 2 s, close()</td><td>linger(2 s)</td></tr>
 * </table>
 *
 * The forks run with {@code --add-opens java.base/sun.nio.ch=ALL-UNNAMED} (teardown's fast path); pass
 * {@code -jvmArgs -Xmx1g} to JMH to measure the lookup through sock_diag and /proc/self/fd instead.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED"})
public class JdkInteropClose {
    private static final CloseMode GRACEFUL = CloseMode.graceful(Duration.ofSeconds(2));
    private static final CloseMode LINGER = CloseMode.linger(Duration.ofSeconds(2));

    @Param({"release", "shutdown", "abort", "graceful", "linger"})
    public String mode;

    @Param({"jdk", "teardown"})
    public String via;

    private InetSocketAddress to;
    private SocketChannel ch;
    private final ByteBuffer one = ByteBuffer.allocateDirect(1);
    private final ByteBuffer eof = ByteBuffer.allocateDirect(64);

    @Setup(Level.Trial)
    public void trial() {
        to = Listener.shared(ListenerMode.WAIT_FOR_CLIENT);
    }

    @Setup(Level.Invocation)
    public void connect() throws IOException {
        ch = SocketChannel.open(to);
        if (mode.equals("linger")) { // so that our data is acknowledged before the close, as CloseLatency's linger
            one.clear().put((byte) 'x').flip();
            ch.write(one);
        }
    }

    @Benchmark
    public Object close() throws IOException {
        SocketChannel c = ch;
        ch = null;
        if (via.equals("teardown")) {
            switch (mode) {
                case "release":
                    return JdkSockets.close(c, CloseMode.RELEASE);
                case "shutdown":
                    return JdkSockets.close(c, CloseMode.SHUTDOWN);
                case "abort":
                    return JdkSockets.close(c, CloseMode.ABORT);
                case "graceful":
                    return JdkSockets.close(c, GRACEFUL);
                default:
                    return JdkSockets.close(c, LINGER);
            }
        }
        switch (mode) {
            case "release":
                break;
            case "shutdown":
                c.shutdownOutput();
                c.shutdownInput();
                break;
            case "abort":
                c.setOption(StandardSocketOptions.SO_LINGER, 0);
                break;
            case "graceful":
                c.shutdownOutput();
                for (eof.clear(); c.read(eof) >= 0; eof.clear()) {
                    // discard
                }
                break;
            default:
                c.setOption(StandardSocketOptions.SO_LINGER, 2);
        }
        c.close();
        return c;
    }

    @TearDown(Level.Trial)
    public void abandon() throws IOException {
        if (ch != null) {
            ch.setOption(StandardSocketOptions.SO_LINGER, 0);
            ch.close();
        }
    }
}
