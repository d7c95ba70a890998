package dev.teardown.inspect;

import dev.teardown.TcpState;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.teardown.CloseMode;
import dev.teardown.TcpListener;
import dev.teardown.TcpSocket;
import dev.teardown.testing.ForeignSpawn;
import dev.teardown.posix.Libc;
import dev.teardown.testing.Kernel;
import dev.teardown.testing.Requirements;
import java.io.File;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** SocketOwners: inodes of descriptors, holders across processes (an inherited child), unreadable processes. */
class SocketOwnersTest {
    private static final Duration T = Duration.ofSeconds(5);

    @Test
    void inodeOfADescriptorIsTheTablesInode() throws Exception {
        try (TcpListener l = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                TcpSocket c = TcpSocket.connect(l.localAddress(), T);
                TcpSocket s = l.accept(T)) {
            long inode = SocketOwners.inodeOf(c.fd()).orElseThrow();
            TcpEntry e = TcpTable.lookup(c.localAddress(), l.localAddress()).orElseThrow();
            assertEquals(e.inode(), inode);
            SocketOwners o = SocketOwners.of(e);
            assertEquals(List.of(new SocketOwners.Holder(SocketOwners.selfPid(), c.fd(), SocketOwners.command(SocketOwners.selfPid()))),
                    o.holders());
            assertFalse(o.describeOthers(SocketOwners.selfPid(), c.fd()).isPresent(), "no other holder");
            int[] pipe = new int[2];
            assertEquals(0, Libc.pipe(pipe));
            try {
                assertFalse(SocketOwners.inodeOf(pipe[0]).isPresent(), "a pipe is no socket");
            } finally {
                Libc.close(pipe[0]);
                Libc.close(pipe[1]);
            }
            assertFalse(SocketOwners.inodeOf(Integer.MAX_VALUE - 1).isPresent(), "not open");
            Map<Long, SocketOwners> both = SocketOwners.of(Set.of(inode, SocketOwners.inodeOf(s.fd()).orElseThrow()));
            assertEquals(2, both.size());
            both.values().forEach(x -> assertEquals(1, x.holders().size(), x.toString()));
        }
    }

    @Test
    void aChildThatInheritedTheSocketIsListedAndKeepsItAlive() throws Exception {
        try (TcpListener l = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                TcpSocket c = TcpSocket.connect(l.localAddress(), T)) {
            TcpSocket s = l.accept(T);
            int fd = s.fd();
            long inode = SocketOwners.inodeOf(fd).orElseThrow();
            long self = SocketOwners.selfPid();
            // posix_spawn with dup2(fd, 3): the child's fd 3 is not close-on-exec, so sleep inherits the socket
            int pid = ForeignSpawn.spawnWithDescriptor(fd, 3, "/bin/sleep", "30");
            assertTrue(pid > 0, "posix_spawn failed: errno " + -pid);
            try {
                SocketOwners o = SocketOwners.of(inode);
                assertTrue(o.holders().contains(new SocketOwners.Holder(pid, 3, "/bin/sleep 30")), o.toString());
                assertTrue(o.holders().stream().anyMatch(h -> h.pid() == self && h.fd() == fd), o.toString());
                assertEquals(List.of(new SocketOwners.Holder(pid, 3, "/bin/sleep 30")), o.outside(self));
                assertEquals("still held by pid " + pid + " fd 3 (/bin/sleep 30)", o.describeOthers(self, fd).orElseThrow());

                // RELEASE drops our descriptor only: the child keeps the socket, no FIN goes out
                InetSocketAddress serverSide = s.localAddress();
                s.close(CloseMode.RELEASE);
                assertEquals("still held by pid " + pid + " fd 3 (/bin/sleep 30)",
                        SocketOwners.stillHeldAfterClose(inode, serverSide, c.localAddress()).orElseThrow(),
                        "what the RELEASE outcome will say after \"FIN not sent: \"");
                Kernel.sleep(100);
                TcpEntry still = TcpTable.lookup(l.localAddress(), c.localAddress()).orElseThrow();
                assertEquals(inode, still.inode(), "the socket lives on with its inode");
                assertEquals(TcpState.ESTABLISHED, still.state());
                assertEquals("ESTAB", Kernel.state(c.localAddress().getPort(), l.localAddress().getPort()),
                        "the peer saw no FIN");
                assertEquals("still held by pid " + pid + " fd 3 (/bin/sleep 30)",
                        SocketOwners.stillHeldBy(inode, self, fd).orElseThrow());
            } finally {
                assertEquals(0, ForeignSpawn.killAndReap(pid));
            }
            // the last holder is gone: now the FIN goes out
            assertEquals("CLOSE-WAIT", Kernel.awaitState(c.localAddress().getPort(), l.localAddress().getPort(),
                    "CLOSE-WAIT", 5000));
            assertTrue(SocketOwners.of(inode).holders().isEmpty());
        }
    }

    @Test
    void afterALastCloseNobodyHoldsTheSocketButADupDoes() throws Exception {
        try (TcpListener l = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                TcpSocket c = TcpSocket.connect(l.localAddress(), T)) {
            TcpSocket s = l.accept(T);
            TcpSocket dup = s.dup();
            long inode = SocketOwners.inodeOf(s.fd()).orElseThrow();
            InetSocketAddress local = s.localAddress();
            int dupFd = dup.fd();
            s.close(CloseMode.RELEASE);
            assertEquals("still held by pid " + SocketOwners.selfPid() + " fd " + dupFd + " (",
                    SocketOwners.stillHeldAfterClose(inode, local, c.localAddress()).orElseThrow()
                            .replaceAll("\\(.*", "("));
            dup.close(CloseMode.RELEASE); // the last reference: FIN, and the socket is orphaned (inode 0)
            assertFalse(SocketOwners.stillHeldAfterClose(inode, local, c.localAddress()).isPresent());
        }
    }

    @Test
    void processesThatCannotBeReadAreCounted() throws Exception {
        Requirements.requireRoot("running a probe JVM as user nobody (setpriv)");
        Requirements.requireCommand("setpriv");
        try (TcpListener l = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            long inode = SocketOwners.inodeOf(l.fd()).orElseThrow();
            String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
            // nobody may not be able to reach the build tree (a clone under /root is 0700): copy the classes out
            Path dir = Files.createTempDirectory("teardown-probe-");
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            String cp = copyReadable(codeSource(SocketOwners.class), dir.resolve("main")) + File.pathSeparator
                    + copyReadable(codeSource(OwnersProbe.class), dir.resolve("test"));
            Process p = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", java, "-cp", cp,
                    OwnersProbe.class.getName(), Long.toString(inode)).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), out);
            // nobody cannot read this (root) JVM's descriptors, so our listener is not found: it must say so
            assertTrue(out.contains("HOLDERS 0"), out);
            int unreadable = Integer.parseInt(out.replaceAll("(?s).*UNREADABLE (\\d+).*", "$1"));
            assertTrue(unreadable >= 1, out);
            deleteTree(dir);
        }
        assertEquals(0, SocketOwners.of(1L).unreadableProcesses(), "root reads every process");
    }

    private static Path codeSource(Class<?> c) throws Exception {
        return Paths.get(c.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    /** Copies a class directory to {@code to}, readable by everyone; returns the copy's path. */
    private static String copyReadable(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
                } else {
                    Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r--r--"));
                }
            }
        }
        return to.toString();
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
