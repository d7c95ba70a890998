package dev.teardown.spawn;

import static org.junit.jupiter.api.Assertions.*;

import dev.teardown.CloseMode;
import dev.teardown.CloseOutcome;
import dev.teardown.TcpListener;
import dev.teardown.TcpSocket;
import dev.teardown.testing.Kernel;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class ChildProcessTest {
    private static final InetSocketAddress ANY_LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    /** fd number -> link target of every descriptor of {@code pid}, read from /proc (the independent view). */
    private static Map<Integer, String> fdsOf(long pid) throws IOException {
        Map<Integer, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.list(Paths.get("/proc/" + pid + "/fd"))) {
            for (Path p : s.toList()) {
                try {
                    out.put(Integer.parseInt(p.getFileName().toString()), Files.readSymbolicLink(p).toString());
                } catch (IOException gone) {
                    // closed while listing
                }
            }
        }
        return out;
    }

    private static String inode(int fd) throws IOException {
        return Files.readSymbolicLink(Paths.get("/proc/self/fd/" + fd)).toString();
    }

    @Test
    void childWithoutSocketsHoldsNoneOfOurs() throws Exception {
        try (TcpListener l = TcpListener.bind(ANY_LOOPBACK);
                ServerSocketChannel jdk = ServerSocketChannel.open().bind(ANY_LOOPBACK)) {
            // The JDK's channel lacks close-on-exec: a plain fork/exec would leak it; posix_spawn here must not.
            ChildProcess child = ChildProcess.builder("sleep", "30").stdioToDevNull().start();
            try {
                Map<Integer, String> fds = awaitExec(child.pid());
                // sleep may open files of its own (locale data); none of ours may be there
                java.util.Set<String> ours = new java.util.HashSet<>(fdsOf(ProcessHandle.current().pid()).values());
                for (Map.Entry<Integer, String> e : fds.entrySet()) {
                    assertFalse(e.getValue().startsWith("socket:"), "child holds a socket: " + fds);
                    if (e.getKey() > 2) {
                        assertFalse(ours.contains(e.getValue()), "child holds our fd target " + e.getValue() + ": " + fds);
                    }
                }
            } finally {
                child.kill();
                child.waitFor();
            }
        }
    }

    @Test
    void childHoldsExactlyTheSocketAtTheNumberAsked() throws Exception {
        try (TcpListener l = TcpListener.bind(ANY_LOOPBACK)) {
            TcpSocket client = TcpSocket.connect(l.localAddress());
            TcpSocket server = l.accept(Duration.ofSeconds(5));
            String ino = inode(server.fd());
            ChildProcess child = ChildProcess.builder("sleep", "30").inherit(server, 7).stdioToDevNull().start();
            try {
                Map<Integer, String> fds = awaitExec(child.pid());
                assertEquals(ino, fds.get(7), "fd 7 of the child: " + fds);
                long sockets = fds.values().stream().filter(v -> v.startsWith("socket:")).count();
                assertEquals(1, sockets, "the child holds exactly one socket: " + fds);
                assertEquals(2, server.references(), "our handle plus the child's");

                // Our RELEASE sends nothing: the child still holds the socket.
                CloseOutcome o = server.close(CloseMode.RELEASE);
                assertEquals(CloseOutcome.Sent.NOTHING, o.sent(), o.toString());
                assertEquals(1, o.referencesLeft());
                assertTrue(o.detail().contains("child pid " + child.pid()), o.detail());
                int cport = client.localAddress().getPort();
                int sport = l.localAddress().getPort();
                client.close(CloseMode.RELEASE);
                // ss: the server side stays in CLOSE-WAIT while the child lives, the client in FIN-WAIT-2.
                assertEquals("CLOSE-WAIT", Kernel.awaitState(sport, cport, "CLOSE-WAIT", 2000));
                assertEquals("FIN-WAIT-2", Kernel.awaitState(cport, sport, "FIN-WAIT-2", 2000));
                child.kill();
                child.waitFor();
                // The child's exit drops the last reference: the kernel sends FIN, the server side leaves CLOSE-WAIT.
                assertEquals("GONE", Kernel.awaitState(sport, cport, "GONE", 2000));
                assertEquals(0, server.references());
            } finally {
                child.kill();
                child.waitFor();
            }
            assertFalse(child.isAlive());
            assertEquals(128 + 9, child.exitValue().getAsInt());
        }
    }

    /** Waits until the child has exec'ed (its fd table no longer holds the JVM's files). */
    private static Map<Integer, String> awaitExec(long pid) throws IOException {
        long end = System.nanoTime() + 5_000_000_000L;
        Map<Integer, String> fds;
        do {
            fds = fdsOf(pid);
            String exe = Files.readSymbolicLink(Paths.get("/proc/" + pid + "/exe")).toString();
            if (exe.endsWith("/sleep")) {
                return fds;
            }
            Kernel.sleep(10);
        } while (System.nanoTime() < end);
        return fds;
    }

    @Test
    void unknownProgramFailsWithItsName() {
        IOException e = assertThrows(IOException.class, () -> ChildProcess.builder("no-such-program-teardown").start());
        assertTrue(e.getMessage().contains("no-such-program-teardown") && e.getMessage().contains("ENOENT"), e.getMessage());
    }

    @Test
    void auditFindsJdkSocketAndFixesIt() throws Exception {
        try (ServerSocketChannel jdk = ServerSocketChannel.open().bind(ANY_LOOPBACK)) {
            String ino = null;
            int fd = -1;
            for (Inheritance.Inheritable i : Inheritance.audit()) {
                if (i.description().contains(jdk.getLocalAddress().toString().replace("localhost", ""))) {
                    fd = i.fd();
                    ino = i.target();
                }
            }
            assertNotEquals(-1, fd, "the audit lists the JDK listener: " + Inheritance.audit());
            Inheritance.setCloseOnExec(fd);
            assertTrue(Kernel.isCloexec(fd));
            final String target = ino;
            assertTrue(Inheritance.audit().stream().noneMatch(i -> i.target().equals(target)));
        }
    }
}
