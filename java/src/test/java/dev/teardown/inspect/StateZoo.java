package dev.teardown.inspect;

import dev.teardown.CloseMode;
import dev.teardown.TcpListener;
import dev.teardown.TcpSocket;
import dev.teardown.testing.Kernel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One listener on a kernel-chosen loopback port and four connections to it, each left in a known state:
 * <ul>
 * <li>established: both ends ESTABLISHED;</li>
 * <li>half-closed: the client did shutdown(SHUT_WR) and keeps its descriptor: client FIN_WAIT2 (no timer),
 *   server CLOSE_WAIT;</li>
 * <li>orphaned: the client closed its only descriptor: client FIN_WAIT2 kept as a time-wait socket (inode 0),
 *   server CLOSE_WAIT;</li>
 * <li>timed-wait: the client closed first, then the server: client TIME_WAIT, server gone.</li>
 * </ul>
 */
final class StateZoo implements AutoCloseable {
    final TcpListener listener;
    final int port;
    final TcpSocket estClient;
    final TcpSocket estServer;
    final TcpSocket halfClient;
    final TcpSocket halfServer;
    final TcpSocket orphanServer;
    final InetSocketAddress orphanClientLocal;
    final InetSocketAddress timeWaitClientLocal;
    private final List<TcpSocket> open = new ArrayList<>();

    private StateZoo(InetAddress loopback) throws Exception {
        listener = TcpListener.bind(new InetSocketAddress(loopback, 0));
        port = listener.localAddress().getPort();
        InetSocketAddress to = listener.localAddress();
        Duration t = Duration.ofSeconds(5);

        estClient = keep(TcpSocket.connect(to, t));
        estServer = keep(listener.accept(t));

        halfClient = keep(TcpSocket.connect(to, t));
        halfServer = keep(listener.accept(t));
        halfClient.shutdownOutput();

        TcpSocket orphanClient = TcpSocket.connect(to, t);
        orphanServer = keep(listener.accept(t));
        orphanClientLocal = orphanClient.localAddress();
        orphanClient.close(CloseMode.RELEASE);

        TcpSocket twClient = TcpSocket.connect(to, t);
        TcpSocket twServer = listener.accept(t);
        timeWaitClientLocal = twClient.localAddress();
        twClient.close(CloseMode.RELEASE);
        Kernel.awaitState(port, timeWaitClientLocal.getPort(), "CLOSE-WAIT", 5000);
        twServer.close(CloseMode.RELEASE);

        await(halfClient.localAddress().getPort(), port, "FIN-WAIT-2");
        await(port, halfClient.localAddress().getPort(), "CLOSE-WAIT");
        await(orphanClientLocal.getPort(), port, "FIN-WAIT-2");
        await(port, orphanClientLocal.getPort(), "CLOSE-WAIT");
        await(timeWaitClientLocal.getPort(), port, "TIME-WAIT");
    }

    static StateZoo build(InetAddress loopback) throws Exception {
        return new StateZoo(loopback);
    }

    private TcpSocket keep(TcpSocket s) {
        open.add(s);
        return s;
    }

    private static void await(int localPort, int peerPort, String state) {
        String s = Kernel.awaitState(localPort, peerPort, state, 5000);
        if (!s.equals(state)) {
            throw new IllegalStateException("connection " + localPort + " -> " + peerPort + " is " + s + ", not " + state);
        }
    }

    @Override
    public void close() {
        for (TcpSocket s : open) {
            s.close(CloseMode.ABORT);
        }
        listener.close();
    }
}
