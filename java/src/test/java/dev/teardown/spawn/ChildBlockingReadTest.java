package dev.teardown.spawn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.teardown.CloseMode;
import dev.teardown.TcpListener;
import dev.teardown.TcpSocket;
import dev.teardown.TimedOutException;
import dev.teardown.testing.Requirements;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * teardown never puts O_NONBLOCK on a connection's open file description, which a child shares: after the
 * parent's timed connect and a read that waited, a child that inherits the socket still does a blocking read
 * (Python's os.read raises BlockingIOError at once on a non-blocking descriptor). A listener's description,
 * by contrast, is non-blocking, and a child that inherits it sees that.
 */
@Timeout(60)
class ChildBlockingReadTest {
    private static final String BLOCKING_READ = String.join("\n",
            "import os, sys",
            "try:",
            "    data = os.read(3, 5)",
            "except BlockingIOError:",
            "    sys.exit(3)",
            "sys.exit(0 if data == b'hello' else 4)");

    @Test
    void aChildInheritingAConnectionReadsBlocking() throws Exception {
        Requirements.requireCommand("python3");
        try (TcpListener l = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            TcpSocket c = TcpSocket.connect(l.localAddress(), Duration.ofSeconds(5)); // the non-blocking handshake path
            TcpSocket s = l.accept(Duration.ofSeconds(5));
            try {
                assertThrows(TimedOutException.class, () -> c.read(ByteBuffer.allocate(8), Duration.ofMillis(20)));
                ChildProcess child = ChildProcess.builder("python3", "-c", BLOCKING_READ).inherit(c, 3).start();
                Thread.sleep(300);
                assertTrue(child.isAlive(), "the child must be blocked in its read, not failed: exit " + child.exitValue());
                s.write(ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII)));
                assertTrue(child.waitFor(Duration.ofSeconds(10)), "the child's read returned");
                assertEquals(0, child.exitValue().getAsInt(), "exit 0: read 'hello' blocking (3: EAGAIN, 4: other data)");
            } finally {
                c.close(CloseMode.ABORT);
                s.close(CloseMode.ABORT);
            }
        }
    }

    @Test
    void aChildInheritingAListenerSeesItNonBlocking() throws Exception {
        Requirements.requireCommand("python3");
        try (TcpListener l = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            int pid = dev.teardown.testing.ForeignSpawn.spawnWithDescriptor(l.fd(), 3, "python3", "-c",
                    "import fcntl, os, sys; sys.exit(5 if fcntl.fcntl(3, fcntl.F_GETFL) & os.O_NONBLOCK else 6)");
            assertTrue(pid > 0, "spawn: " + pid);
            int[] status = {0};
            assertEquals(pid, dev.teardown.posix.SpawnLibc.waitpid(pid, status, 0));
            assertEquals(5, (status[0] >> 8) & 0xff, "exit 5: the inherited listener is O_NONBLOCK (6: blocking)");
        }
    }
}
