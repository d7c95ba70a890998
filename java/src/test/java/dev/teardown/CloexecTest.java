package dev.teardown;

import static dev.teardown.Net.link;
import static dev.teardown.Net.ms;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.teardown.testing.Kernel;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every descriptor teardown creates is close-on-exec, as /proc/self/fdinfo/N reports it: listeners,
 * connected and accepted sockets, dups, and the pooled eventfds that waiting platform threads poll beside them
 * (none per socket).
 */
@Timeout(30)
class CloexecTest {
    /** O_NONBLOCK as /proc/self/fdinfo reports it (04000 octal). */
    private static final int O_NONBLOCK = 04000;

    @Test
    void everyDescriptorTheLibraryCreatesIsCloseOnExec() throws Exception {
        // the pool of wake-up descriptors is made on the first wait of a platform thread: make it now
        try (Net.Pair warm = Net.Pair.open(Net.V4)) {
            assertThrows(TimedOutException.class, () -> warm.client().read(ByteBuffer.allocate(8), ms(5)));
        }
        List<Integer> eventfdsBefore = Net.eventfds();
        Map<String, Integer> sockets = new LinkedHashMap<>();
        List<AutoCloseable> open = new ArrayList<>();
        try {
            for (InetAddress host : new InetAddress[] {Net.V4, Net.V6}) {
                String fam = host == Net.V4 ? "v4 " : "v6 ";
                TcpListener l = TcpListener.bind(Net.anyPort(host));
                open.add(l);
                // a blocking accept borrows a pooled wake-up descriptor, and creates none of its own
                assertThrows(TimedOutException.class, () -> l.accept(ms(30)));
                TcpSocket c = TcpSocket.connect(l.localAddress(), Duration.ofSeconds(5));
                open.add(c);
                TcpSocket s = l.accept(Duration.ofSeconds(5));
                open.add(s);
                TcpSocket d = c.dup();
                open.add(d);
                TcpSocket sd = s.dup();
                open.add(sd);
                // so do blocking reads
                for (TcpSocket t : new TcpSocket[] {c, s, d, sd}) {
                    assertThrows(TimedOutException.class, () -> t.read(ByteBuffer.allocate(8), ms(30)));
                }
                sockets.put(fam + "listener", l.fd());
                sockets.put(fam + "connected", c.fd());
                sockets.put(fam + "accepted", s.fd());
                sockets.put(fam + "dup of connected", d.fd());
                sockets.put(fam + "dup of accepted", sd.fd());
            }

            sockets.forEach((what, fd) -> {
                assertTrue(link(fd).startsWith("socket:["), what + " fd " + fd + " is " + link(fd));
                assertTrue(Kernel.isCloexec(fd), what + " fd " + fd + " lacks O_CLOEXEC: flags 0"
                        + Integer.toOctalString(Kernel.fdFlags(fd)));
            });

            List<Integer> wakeups = Net.eventfds();
            List<Integer> added = new ArrayList<>(wakeups);
            added.removeAll(eventfdsBefore);
            // none per handle: 10 handles waited, the pool's wake-up descriptors served them all
            assertEquals(List.of(), added, "new eventfds");
            // the pool's own (other eventfds may be the JDK's: its selectors' eventfds lack close-on-exec)
            List<Integer> pooled = dev.teardown.posix.Waker.idleDescriptors();
            assertTrue(pooled.size() >= dev.teardown.posix.Waker.PREFILL, "the pool's eventfds: " + pooled);
            for (int fd : pooled) {
                assertTrue(Kernel.isCloexec(fd), "wake-up eventfd " + fd + " lacks O_CLOEXEC: flags 0"
                        + Integer.toOctalString(Kernel.fdFlags(fd)));
            }
        } finally {
            for (AutoCloseable c : open) {
                if (c instanceof TcpSocket s) {
                    s.close(CloseMode.ABORT);
                } else {
                    c.close();
                }
            }
        }
        assertEquals(eventfdsBefore, Net.eventfds(), "every wake-up eventfd was closed with its handle");
    }

    /**
     * O_NONBLOCK belongs to the open file description, which a dup or a child shares; teardown must not
     * set it on a connected socket (it uses MSG_DONTWAIT per call instead).
     */
    @Test
    void connectedSocketsStayInBlockingMode() throws Exception {
        try (Net.Pair p = Net.Pair.open(Net.V4)) {
            TcpSocket d = p.client().dup();
            try {
                p.client().write(ByteBuffer.wrap(new byte[] {1}));
                assertEquals(1, p.server().read(ByteBuffer.allocate(4), ms(2000)));
                assertThrows(TimedOutException.class, () -> d.read(ByteBuffer.allocate(4), ms(20)));
                for (int fd : new int[] {p.client().fd(), p.server().fd(), d.fd()}) {
                    assertEquals(0, Kernel.fdFlags(fd) & O_NONBLOCK, "fd " + fd + " has O_NONBLOCK: flags 0"
                            + Integer.toOctalString(Kernel.fdFlags(fd)));
                }
            } finally {
                d.close(CloseMode.ABORT);
            }
            assertFalse(d.isOpen());
        }
    }
}
