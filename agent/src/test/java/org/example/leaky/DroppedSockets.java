package org.example.leaky;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.management.ObjectName;

/**
 * Not teardown-based: connects three {@code Socket}s to its own {@code ServerSocket} and drops them unclosed, then
 * collects garbage until killed. The JDK's cleaner closes a {@code Socket} that becomes unreachable, so the accepted
 * ends (held, never closed) go to CLOSE_WAIT: unless something, such as an agent, keeps the dropped sockets reachable.
 * Prints its port once the three are dropped, then, when an agent is loaded, how many records it holds whenever that
 * changes ({@code records N}, read from the agent's MBean in-process).
 */
public final class DroppedSockets {
    private static final List<Socket> ACCEPTED = new CopyOnWriteArrayList<>();

    public static void main(String[] args) throws Exception {
        ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> {
            try {
                while (true) {
                    ACCEPTED.add(listener.accept());
                }
            } catch (IOException e) {
                // listener closed
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();
        connectAndDrop(listener.getLocalPort(), 3);
        System.out.println("port " + listener.getLocalPort());
        System.out.flush();
        long shown = -1;
        while (true) {
            System.gc();
            Thread.sleep(200);
            long records = agentRecords();
            if (records != shown) {
                System.out.println("records " + records);
                System.out.flush();
                shown = records;
            }
        }
    }

    private static long agentRecords() {
        try {
            return (Long) ManagementFactory.getPlatformMBeanServer()
                    .getAttribute(new ObjectName("dev.teardown.agent:type=SocketSites"), "OpenRecords");
        } catch (Exception e) {
            return -1; // no agent
        }
    }

    private static void connectAndDrop(int port, int n) throws IOException {
        for (int i = 0; i < n; i++) {
            new Socket(InetAddress.getLoopbackAddress(), port).getOutputStream().write('x'); // dropped, not closed
        }
    }
}
