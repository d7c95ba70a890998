package dev.teardown.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.teardown.TcpState;
import dev.teardown.posix.Errno;
import dev.teardown.posix.Libc;
import dev.teardown.posix.NetNamespace;
import dev.teardown.testing.Requirements;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * {@link NetworkNamespace#enter} through the production binding (JNA or FFM, whichever this JVM runs): a thread that
 * entered a private namespace reads that namespace's table, which holds a listener opened there and not the
 * caller's; other threads stay where they were; a namespace file that is gone is an ENOENT that says so (false from
 * the public call), and a file that is no network namespace is refused with EINVAL.
 */
class NetNamespaceEnterTest {
    @Test
    void aThreadThatEnteredReadsThatNamespacesTableOnly() throws Exception {
        Requirements.requireRoot("setns into a private network namespace");
        try (NetNs ns = NetNs.create(); ServerSocket here = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            int there = ns.call(() -> {
                ServerSocket s = new ServerSocket();
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 5);
                return s.getLocalPort(); // kept open: the namespace thread holds it until the test ends
            });
            String ours = Files.readSymbolicLink(Paths.get("/proc/thread-self/ns/net")).toString();
            CompletableFuture<List<Object>> seen = new CompletableFuture<>();
            Thread t = new Thread(() -> {
                try {
                    assertTrue(NetworkNamespace.enter(ns.path()));
                    List<TcpEntry> listeners = TcpTable.snapshot(EnumSet.of(TcpState.LISTEN));
                    seen.complete(List.of(Files.readSymbolicLink(Paths.get("/proc/thread-self/ns/net")).toString(),
                            listeners.stream().map(TcpEntry::localPort).toList()));
                } catch (Throwable e) {
                    seen.completeExceptionally(e);
                }
            }, "entered");
            t.start();
            List<Object> r = seen.get();
            t.join();
            assertEquals(Files.readSymbolicLink(Paths.get(ns.path())).toString(), r.get(0), "binding " + Libc.binding());
            assertNotEquals(ours, r.get(0));
            assertEquals(List.of(there), r.get(1), "only the listener opened in that namespace");
            assertEquals(ours, Files.readSymbolicLink(Paths.get("/proc/thread-self/ns/net")).toString(), "the caller stays");
            assertTrue(TcpTable.snapshot(EnumSet.of(TcpState.LISTEN)).stream().anyMatch(e -> e.localPort() == here.getLocalPort()));
        }
    }

    @Test
    void aVanishedNamespaceIsENOENTAndBadPathsAreRefused() throws Exception {
        Requirements.requireRoot("setns");
        CompletableFuture<Throwable> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                NetNamespace.enter("/proc/999999999/ns/net");
                f.complete(null);
            } catch (Throwable e) {
                f.complete(e);
            }
        });
        t.start();
        Throwable e = f.get();
        assertTrue(e instanceof NetNamespace.Failure, String.valueOf(e));
        NetNamespace.Failure nf = (NetNamespace.Failure) e;
        assertEquals(Errno.ENOENT, nf.errno);
        assertTrue(nf.vanished() && nf.getMessage().startsWith("open(/proc/999999999/ns/net): ENOENT"), nf.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NetNamespace.enter(""));
        assertThrows(IllegalArgumentException.class, () -> NetworkNamespace.enter("/proc/1/ns/net\0x"));
        CompletableFuture<Object> g = new CompletableFuture<>();
        Thread u = new Thread(() -> {
            try {
                boolean gone = NetworkNamespace.enter("/proc/999999999/ns/net");
                Throwable wrong = null;
                try {
                    NetworkNamespace.enter("/proc/self/ns/uts"); // a namespace, but not a network one
                } catch (Throwable x) {
                    wrong = x;
                }
                g.complete(List.of(gone, String.valueOf(wrong)));
            } catch (Throwable x) {
                g.complete(x);
            }
        });
        u.start();
        assertEquals(List.of(false, "dev.teardown.TcpException: setns(/proc/self/ns/uts, CLONE_NEWNET): EINVAL (Invalid argument)"),
                g.get());
    }
}
