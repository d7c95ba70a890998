package dev.teardown;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.teardown.testing.Kernel;
import dev.teardown.testing.Requirements;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * 10,000 idle connections, each read by a parked virtual thread, on 2 carriers; the clients are a Python
 * process. A new virtual thread still runs, an echo on the last connection comes back, each connection costs
 * one descriptor (no wake-up descriptor per socket), and closing them all wakes every reader.
 */
class VirtualThreadScaleTest {
    static final int CONNECTIONS = 10_000;

    private static final String CLIENTS = String.join("\n",
            "import socket, sys",
            "port, n = int(sys.argv[1]), int(sys.argv[2])",
            "socks = [socket.create_connection(('127.0.0.1', port)) for _ in range(n)]",
            "print('connected', flush=True)",
            "line = sys.stdin.readline()",
            "last = socks[-1]",
            "last.sendall(b'x')",
            "print('echo ' + last.recv(1).decode(), flush=True)",
            "sys.stdin.readline()");

    @Test
    @Timeout(180)
    @SuppressWarnings("try") // the listener is closed inside its try to stop the acceptor
    void tenThousandIdleConnectionsLeaveTheCarriersFree() throws Exception {
        Requirements.requireCommand("python3");
        int fdsBefore = Kernel.openFds();
        List<TcpSocket> accepted = new CopyOnWriteArrayList<>();
        AtomicInteger closedWakeups = new AtomicInteger();
        CountDownLatch allClosed = new CountDownLatch(CONNECTIONS);
        try (TcpListener listener = TcpListener.bind(Net.anyPort(Net.V4), 4096)) {
            Thread acceptor = Thread.ofVirtual().name("acceptor").start(() -> {
                try {
                    while (true) {
                        TcpSocket s = listener.accept();
                        accepted.add(s);
                        Thread.ofVirtual().start(() -> {
                            ByteBuffer b = ByteBuffer.allocate(16);
                            try {
                                while (s.read(b) > 0) {
                                    b.flip();
                                    s.write(b);
                                    b.clear();
                                }
                            } catch (SocketClosedException e) {
                                closedWakeups.incrementAndGet();
                            } catch (TcpException e) {
                                // the client went away
                            } finally {
                                allClosed.countDown();
                            }
                        });
                    }
                } catch (TcpException stop) {
                    // listener closed
                }
            });
            Process clients = new ProcessBuilder("python3", "-c", CLIENTS, String.valueOf(listener.localAddress().getPort()),
                    String.valueOf(CONNECTIONS)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try (BufferedReader out = new BufferedReader(new InputStreamReader(clients.getInputStream(), StandardCharsets.UTF_8));
                 OutputStream in = clients.getOutputStream()) {
                assertEquals("connected", out.readLine());
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (accepted.size() < CONNECTIONS && System.nanoTime() < end) {
                    Thread.sleep(20);
                }
                assertEquals(CONNECTIONS, accepted.size(), "accepted");
                Thread.sleep(200); // let the last readers reach their park

                CountDownLatch ran = new CountDownLatch(1);
                long t0 = System.nanoTime();
                Thread.startVirtualThread(ran::countDown);
                assertTrue(ran.await(10, TimeUnit.SECONDS), "a new virtual thread never ran");
                double startMs = (System.nanoTime() - t0) / 1e6;

                int fds = Kernel.openFds() - fdsBefore;
                assertTrue(fds <= CONNECTIONS + 40, "descriptors for " + CONNECTIONS + " connections: " + fds
                        + " (one each, plus the listener, the poller and a few the JVM opens)");

                long e0 = System.nanoTime();
                in.write('\n');
                in.flush();
                assertEquals("echo x", out.readLine());
                double echoMs = (System.nanoTime() - e0) / 1e6;

                long c0 = System.nanoTime();
                for (TcpSocket s : accepted) {
                    s.close(CloseMode.ABORT);
                }
                assertTrue(allClosed.await(30, TimeUnit.SECONDS), "readers still parked: " + allClosed.getCount());
                double closeMs = (System.nanoTime() - c0) / 1e6;
                assertTrue(closedWakeups.get() >= CONNECTIONS - 1, "woken by close: " + closedWakeups.get());
                System.out.printf("VirtualThreadScaleTest: %,d idle connections on %d carriers: a new virtual thread ran"
                        + " in %.2f ms; echo on the last connection %.2f ms; %,d descriptors (%.3f per connection);"
                        + " all closed and their readers woken in %.0f ms%n", CONNECTIONS, VirtualThreads.carriers(),
                        startMs, echoMs, fds, fds / (double) CONNECTIONS, closeMs);
                in.write('\n');
            } finally {
                clients.destroy();
                clients.waitFor(10, TimeUnit.SECONDS);
            }
            listener.close();
            acceptor.join(Duration.ofSeconds(5));
        }
    }
}
