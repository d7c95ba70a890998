package dev.teardown.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.teardown.CloseMode;
import dev.teardown.CloseOutcome;
import dev.teardown.TcpListener;
import dev.teardown.TcpSocket;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The binder on real loopback sockets, checked against the kernel's view (ss) of this process. */
class TeardownMetricsTest {
    private static final Duration T = Duration.ofSeconds(5);

    private static double sockets(SimpleMeterRegistry r, String state) {
        return r.get("teardown.process.connection.count").tag("network.connection.state", state).gauge().value();
    }

    private static double closes(SimpleMeterRegistry r, String mode, String sent) {
        return r.get("teardown.closes").tag("mode", mode).tag("sent", sent).tag("socket", "teardown").counter().count();
    }

    /** A JDK channel's close reaches the counter too, under its own socket kind. */
    @Test
    void countsTheClosesOfJdkChannels() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (TeardownMetrics metrics = new TeardownMetrics();
                java.nio.channels.ServerSocketChannel server = java.nio.channels.ServerSocketChannel.open()) {
            metrics.bindTo(registry);
            server.bind(new java.net.InetSocketAddress("127.0.0.1", 0));
            try (java.nio.channels.SocketChannel client = java.nio.channels.SocketChannel.open(server.getLocalAddress())) {
                java.nio.channels.SocketChannel accepted = server.accept();
                CloseOutcome o = dev.teardown.jdk.JdkSockets.close(accepted, CloseMode.ABORT);
                assertEquals(CloseOutcome.Sent.RST, o.sent(), o.toString());
                assertEquals(1.0, registry.get("teardown.closes").tag("mode", "abort").tag("sent", "rst")
                        .tag("socket", "jdk-channel").counter().count());
                assertEquals(0.0, closes(registry, "abort", "rst"), "not counted as teardown's own socket");
            }
        }
    }

    /** This process's sockets in an ss state, counted by ss -tanp (the independent observer). */
    private static int ssCount(String ssState) throws Exception {
        Process p = new ProcessBuilder("ss", "-tanpH").start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(10, TimeUnit.SECONDS);
        String pid = "pid=" + ProcessHandle.current().pid() + ",";
        int n = 0;
        for (String line : out.split("\n")) {
            if (line.startsWith(ssState + " ") && line.contains(pid)) {
                n++;
            }
        }
        return n;
    }

    /** Sockets in an ss state with local port {@code port}, whoever holds them (ss -tanH). */
    static int ssCount(String ssState, int port) throws Exception {
        return ssCount(ssState, "sport = :" + port);
    }

    /** Sockets in an ss state that match an ss filter ({@code "sport = :4242 dport = :80"}), whoever holds them. */
    static int ssCount(String ssState, String filter) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("ss", "-tanH"));
        cmd.addAll(List.of(filter.split(" ")));
        Process p = new ProcessBuilder(cmd).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(10, TimeUnit.SECONDS);
        int n = 0;
        for (String line : out.split("\n")) {
            if (line.startsWith(ssState + " ")) {
                n++;
            }
        }
        return n;
    }

    @Test
    void countsThisProcessesSocketsByStateAndItsClosesByModeAndSent() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (TeardownMetrics metrics = new TeardownMetrics(Duration.ZERO, List.of());
                TcpListener listener = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            metrics.bindTo(registry);
            List<TcpSocket> clients = new ArrayList<>();
            List<TcpSocket> servers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                clients.add(TcpSocket.connect(listener.localAddress(), T));
                servers.add(listener.accept(T));
            }
            assertEquals(ssCount("ESTAB"), (int) sockets(registry, "established"));
            assertEquals(6, ssCount("ESTAB"), "3 connections, both ends in this process");
            assertEquals(ssCount("LISTEN"), (int) sockets(registry, "listen"));

            // client 0 closes: server 0 goes to CLOSE_WAIT (held here), client 0 to an orphaned FIN_WAIT2 (no owner, but
            // its address and port were seen at the readings above)
            int orphanPort = clients.get(0).localAddress().getPort();
            clients.get(0).close(CloseMode.RELEASE);
            // client 1: ABORT sends RST, server 1 gets reset
            clients.get(1).close(CloseMode.ABORT);
            Thread.sleep(1_500);
            assertEquals(1, ssCount("CLOSE-WAIT"));
            assertEquals(1, (int) sockets(registry, "close_wait"));
            assertEquals(1, ssCount("FIN-WAIT-2", orphanPort), "ss sees the orphan");
            assertEquals(1, (int) sockets(registry, "fin_wait_2"), "the orphan, attributed by its local address and port");
            double age = registry.get("teardown.process.close_wait.fin.age").timeGauge().value(TimeUnit.SECONDS);
            assertTrue(age >= 1.2 && age < 10, "the FIN arrived about 1.5 s ago: " + age);
            assertEquals(1.0, closes(registry, "release", "fin"));
            assertEquals(1.0, closes(registry, "abort", "rst"));

            // unread input turns a RELEASE into an RST; SHUTDOWN sends FIN whoever else holds the socket
            clients.get(2).write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
            Thread.sleep(200);
            servers.get(2).close(CloseMode.RELEASE);
            servers.get(0).close(CloseMode.SHUTDOWN);
            assertEquals(1.0, closes(registry, "release", "rst"), "unread bytes: RST instead of FIN");
            assertEquals(1.0, closes(registry, "shutdown", "fin"));
            assertEquals(0, (int) sockets(registry, "close_wait"));

            metrics.close();
            servers.get(1).close(CloseMode.RELEASE);
            clients.get(2).close(CloseMode.RELEASE);
            double all = registry.get("teardown.closes").counters().stream().mapToDouble(c -> c.count()).sum();
            assertEquals(4.0, all, "closes after close() are not counted");
        }
    }
}
