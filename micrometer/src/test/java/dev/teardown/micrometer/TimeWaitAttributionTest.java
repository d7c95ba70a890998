package dev.teardown.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.teardown.CloseMode;
import dev.teardown.TcpListener;
import dev.teardown.TcpSocket;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A socket in TIME_WAIT has no descriptor and no owner in the kernel's table; the binder attributes it to this
 * process by address and port: a client-first close's TIME_WAIT by the addresses and ports its socket was seen with,
 * a server-first close's by the listener's port. Checked against ss on the same ports (the independent observer).
 */
class TimeWaitAttributionTest {
    private static final int N = 4;

    private static double timeWait(SimpleMeterRegistry r) {
        return r.get("teardown.process.connection.count").tag("network.connection.state", "time_wait").gauge().value();
    }

    @Test
    void clientFirstClosesLeaveTimeWaitThatTheBinderShows() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        // the peer is a JDK server socket: its side of each connection is in this process too, but never in TIME_WAIT
        try (TeardownMetrics metrics = new TeardownMetrics(Duration.ZERO, List.of());
             ServerSocket peer = new ServerSocket(0, 16, InetAddress.getLoopbackAddress())) {
            metrics.bindTo(registry);
            double before = timeWait(registry);
            List<TcpSocket> clients = new ArrayList<>();
            List<Socket> accepted = new ArrayList<>();
            List<Integer> ports = new ArrayList<>();
            for (int i = 0; i < N; i++) {
                TcpSocket c = TcpSocket.connect((InetSocketAddress) peer.getLocalSocketAddress());
                clients.add(c);
                ports.add(c.localAddress().getPort());
                accepted.add(peer.accept());
            }
            timeWait(registry); // a reading while the connections are open: their local addresses are seen
            for (int i = 0; i < N; i++) {
                clients.get(i).close(CloseMode.SHUTDOWN); // FIN first from the client
                accepted.get(i).setSoTimeout(5000);
                assertEquals(-1, accepted.get(i).getInputStream().read());
                accepted.get(i).close(); // the peer's FIN: the client side enters TIME_WAIT
            }
            int ss = 0;
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (System.nanoTime() < deadline) {
                ss = 0;
                for (int p : ports) {
                    ss += TeardownMetricsTest.ssCount("TIME-WAIT", "sport = :" + p + " dport = :" + peer.getLocalPort());
                }
                if (ss == N) {
                    break;
                }
                Thread.sleep(20);
            }
            assertEquals(N, ss, "ss: the clients' ports in TIME-WAIT");
            assertEquals(N, timeWait(registry) - before, "the binder's time_wait, from the same sockets");
        }
    }

    @Test
    void serverFirstClosesLeaveTimeWaitOnTheListenersPort() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (TeardownMetrics metrics = new TeardownMetrics(Duration.ZERO, List.of());
             TcpListener listener = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            metrics.bindTo(registry);
            double before = timeWait(registry);
            // no reading while these live: only the listener's port attributes their TIME_WAIT
            for (int i = 0; i < N; i++) {
                try (Socket client = new Socket(InetAddress.getLoopbackAddress(), listener.localAddress().getPort())) {
                    TcpSocket server = listener.accept(Duration.ofSeconds(5));
                    server.close(CloseMode.SHUTDOWN); // the server closes first
                    client.setSoTimeout(5000);
                    assertEquals(-1, client.getInputStream().read());
                }
            }
            int port = listener.localAddress().getPort();
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (TeardownMetricsTest.ssCount("TIME-WAIT", port) - before < N && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            // another process's TIME_WAIT left on this port number (bind(0) may pick it) counts in both
            int ss = TeardownMetricsTest.ssCount("TIME-WAIT", port);
            assertEquals(ss, (int) timeWait(registry), "the binder's time_wait and ss's on the listener's port");
            assertEquals(true, ss - before >= N, "ss: " + ss + " TIME-WAIT on the listener's port, " + before + " before");
        }
    }
}
