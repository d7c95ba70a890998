package dev.teardown.examples;

import dev.teardown.CloseMode;
import dev.teardown.TcpListener;
import dev.teardown.TcpSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * A listener and one connection to it on loopback: the client end, the accepted server end, their ports, and
 * optionally a packet capture of the listener's port started before the connection.
 */
final class Conn implements AutoCloseable {
    final TcpListener listener;
    final TcpSocket client;
    final TcpSocket server;
    final int clientPort;
    final int serverPort;
    /** The capture of the listener's port, or null when not capturing. */
    final Capture capture;

    private Conn(TcpListener listener, TcpSocket client, TcpSocket server, Capture capture) throws Exception {
        this.listener = listener;
        this.client = client;
        this.server = server;
        this.clientPort = client.localAddress().getPort();
        this.serverPort = listener.localAddress().getPort();
        this.capture = capture;
    }

    static Conn open(Timeline t) throws Exception {
        return open(t, null, null, null);
    }

    /**
     * Opens a connection whose packets are captured into {@code <label>.pcap} in the scenario's run directory.
     * Where no capture can run, says why and carries on without one; in CI that fails {@code v} instead.
     */
    static Conn open(Timeline t, String scenario, String label, Verdict v) throws Exception {
        TcpListener l = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        Capture cap = null;
        try {
            int port = l.localAddress().getPort();
            if (t != null) {
                t.watch(port);
            }
            if (scenario != null) {
                String why = Capture.unavailableReason();
                if (why == null) {
                    cap = Capture.start(port, Runs.file(scenario, label + ".pcap"));
                } else {
                    t.say("no packet ladder: " + why);
                    if (Tools.inCi()) {
                        v.check(false, "a packet capture (required in CI)", why);
                    }
                }
            }
            TcpSocket c = TcpSocket.connect(l.localAddress(), Duration.ofSeconds(5));
            TcpSocket s = l.accept(Duration.ofSeconds(5));
            return new Conn(l, c, s, cap);
        } catch (Exception e) {
            l.close();
            if (cap != null) {
                cap.close();
            }
            throw e;
        }
    }

    /**
     * Stops the capture and prints and writes its ladder ({@link Ladder#show}); null when there was no capture.
     */
    Ladder ladder(Timeline t, String scenario, String label, String title) throws Exception {
        return capture == null ? null : Ladder.show(t, capture, clientPort, serverPort, scenario, label, title);
    }

    /** Aborts whatever is still open, so no scenario leaves sockets behind. */
    @Override
    public void close() {
        client.close(CloseMode.ABORT);
        server.close(CloseMode.ABORT);
        listener.close();
        if (capture != null) {
            capture.close();
        }
    }
}
