package dev.teardown.nativepeers;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * prefork-server reproduces the CLOSE_WAIT leak without --fix and not with it, as ss sees it.
 */
@Timeout(60)
class PreforkServerTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    /** The two ends of one connection, as port numbers. */
    private record Conn(int serverPort, int clientPort) {
        Optional<SocketStates.Row> serverSide(List<SocketStates.Row> rows) {
            return rows.stream().filter(r -> r.localPort() == serverPort && r.peerPort() == clientPort).findFirst();
        }

        Optional<SocketStates.Row> clientSide(List<SocketStates.Row> rows) {
            return rows.stream().filter(r -> r.localPort() == clientPort && r.peerPort() == serverPort).findFirst();
        }

        boolean serverIn(List<SocketStates.Row> rows, String state) {
            return serverSide(rows).map(r -> r.state().equals(state)).orElse(false);
        }

        boolean clientIn(List<SocketStates.Row> rows, String state) {
            return clientSide(rows).map(r -> r.state().equals(state)).orElse(false);
        }
    }

    @ParameterizedTest(name = "on {0}")
    @ValueSource(strings = {"127.0.0.1", "::1"})
    void withoutFixTheServerSideStaysInCloseWait(String address) throws Exception {
        assumeBindable(address);
        try (PeerProcess server = PeerProcess.start("prefork-server", "--address", address, "--port", "0")) {
            Conn conn = requestAndClose(server, address);
            String closed = server.awaitLine("CLOSED ", WAIT);
            assertTrue(closed.endsWith("peer=" + address + " " + conn.clientPort() + " via=close"), closed);
            // The child has exited: only the parent's copy of the descriptor is left.
            server.awaitLine("REAPED ", WAIT);

            List<SocketStates.Row> rows = SocketStates.await(conn.serverPort(), WAIT,
                    "server CLOSE-WAIT and client FIN-WAIT-2 for " + conn,
                    r -> conn.serverIn(r, "CLOSE-WAIT") && conn.clientIn(r, "FIN-WAIT-2"));
            // Not a moment in passing: it stays while the parent holds its copy.
            Thread.sleep(300);
            rows = SocketStates.snapshot(conn.serverPort());
            assertTrue(conn.serverIn(rows, "CLOSE-WAIT"), "server side left CLOSE-WAIT:\n" + SocketStates.format(rows));
            assertTrue(conn.clientIn(rows, "FIN-WAIT-2"), "client side left FIN-WAIT-2:\n" + SocketStates.format(rows));

            // The parent releases its copy on SIGTERM: that last close sends the FIN at last.
            assertEquals(0, server.stop(), server.describe());
            assertTrue(server.stdoutLines().contains("STOPPED"), server.describe());
            SocketStates.await(conn.serverPort(), WAIT, "the CLOSE-WAIT gone after the parent released its copy",
                    r -> conn.serverSide(r).isEmpty() && conn.clientIn(r, "TIME-WAIT"));
        }
    }

    @ParameterizedTest(name = "on {0}")
    @ValueSource(strings = {"127.0.0.1", "::1"})
    void withFixTheConnectionEndsAndTheClientPassesToTimeWait(String address) throws Exception {
        assumeBindable(address);
        try (PeerProcess server = PeerProcess.start("prefork-server", "--address", address, "--port", "0", "--fix")) {
            Conn conn = requestAndClose(server, address);
            String closed = server.awaitLine("CLOSED ", WAIT);
            assertTrue(closed.endsWith("via=shutdown+close"), closed);
            server.awaitLine("REAPED ", WAIT);

            List<SocketStates.Row> rows = SocketStates.await(conn.serverPort(), WAIT,
                    "the client in TIME-WAIT and no server-side socket for " + conn,
                    r -> conn.clientIn(r, "TIME-WAIT") && conn.serverSide(r).isEmpty());
            // The parent still holds its copy (it has not been stopped), yet nothing is in CLOSE-WAIT.
            assertTrue(rows.stream().noneMatch(r -> r.state().equals("CLOSE-WAIT")), SocketStates.format(rows));
            assertEquals(0, server.stop(), server.describe());
        }
    }

    @Test
    void aParentThatReleasesItsCopyAtOnceHasNoLeakEither() throws Exception {
        try (PeerProcess server = PeerProcess.start("prefork-server", "--port", "0", "--hold-ms", "0")) {
            Conn conn = requestAndClose(server, "127.0.0.1");
            server.awaitLine("CLOSED ", WAIT);
            SocketStates.await(conn.serverPort(), WAIT, "the client in TIME-WAIT and no server-side socket",
                    r -> conn.clientIn(r, "TIME-WAIT") && conn.serverSide(r).isEmpty());
            assertEquals(0, server.stop(), server.describe());
        }
    }

    /** Connects, writes one byte, reads the reply, closes; returns both ports. */
    private static Conn requestAndClose(PeerProcess server, String address) throws Exception {
        int port = server.listeningPort();
        int clientPort;
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getByName(address), port), 5000);
            s.setSoTimeout(5000);
            clientPort = s.getLocalPort();
            OutputStream out = s.getOutputStream();
            out.write('x');
            out.flush();
            // Read the whole reply: closing with unread bytes would send RST instead of FIN.
            assertEquals("OK", readLine(s.getInputStream()));
        }
        String accepted = server.awaitLine("ACCEPTED ", WAIT);
        assertTrue(accepted.endsWith("peer=" + address + " " + clientPort), accepted);
        return new Conn(port, clientPort);
    }

    private static String readLine(InputStream in) throws IOException {
        List<Byte> bytes = new ArrayList<>();
        int b;
        while ((b = in.read()) != -1 && b != '\n') {
            bytes.add((byte) b);
        }
        byte[] a = new byte[bytes.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = bytes.get(i);
        }
        return new String(a, StandardCharsets.US_ASCII);
    }

    private static void assumeBindable(String address) {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName(address))) {
            probe.getLocalPort();
        } catch (IOException e) {
            String reason = "needs a loopback address " + address + " (" + e.getMessage() + ")";
            String ci = System.getenv("CI");
            if (ci != null && !ci.isEmpty() && !ci.equals("false")) {
                fail(reason + " (required in CI)");
            }
            System.out.println("SKIPPED: " + reason);
            Assumptions.abort(reason);
        }
    }
}
