package dev.teardown.bench;

import dev.teardown.TcpListener;
import dev.teardown.TcpSocket;
import dev.teardown.posix.Buffers;
import dev.teardown.posix.Libc;
import dev.teardown.posix.Os;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One libc call through teardown's binding (whichever this JVM uses: {@code -Ddev.teardown.binding=jna|ffm}), on a
 * connected loopback socket: getpid (the cheapest system call: almost all of it is the binding), ioctl(FIONREAD) and
 * setsockopt(TCP_NODELAY) with a native address. Compare JNA and FFM forks on the same JDK.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
public class BindingCall {
    private TcpListener listener;
    private TcpSocket client;
    private TcpSocket server;
    private int fd;
    private final ByteBuffer mem = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
    private long cell;

    @Setup(Level.Trial)
    public void open() throws IOException {
        listener = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        client = TcpSocket.connect(listener.localAddress());
        server = listener.accept();
        fd = client.fd();
        cell = Libc.address(mem);
        mem.putInt(0, 1);
        System.out.println("binding " + Libc.binding() + " on JDK " + Runtime.version());
    }

    @Benchmark
    public int getpid() {
        return Libc.getpid();
    }

    @Benchmark
    public int ioctlFionread() {
        return Libc.ioctl(fd, Os.FIONREAD, cell + 4);
    }

    @Benchmark
    public int setsockoptNodelay() {
        return Libc.setsockopt(fd, Os.IPPROTO_TCP, Os.TCP_NODELAY, cell, 4);
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        client.close();
        server.close();
        listener.close();
    }

    static {
        Buffers.cell().close(); // loads the binding before the first measured call
    }
}
