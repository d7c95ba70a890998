package dev.teardown;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Run in a child JVM by {@link CloseAllocationTest}: connects batches of sockets, then reads this thread's
 * allocated-bytes counter around {@link TcpSocket#closeFast} of each batch and prints
 * {@code <round> <mode> <bytes>} lines. Arguments: rounds, sockets per batch.
 */
public final class CloseAllocationProbe {
    private CloseAllocationProbe() {}

    public static void main(String[] args) throws Exception {
        int rounds = Integer.parseInt(args[0]);
        int batch = Integer.parseInt(args[1]);
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        CloseMode[] modes = {CloseMode.RELEASE, CloseMode.SHUTDOWN, CloseMode.ABORT};
        try (TcpListener l = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            TcpSocket[] mine = new TcpSocket[batch];
            TcpSocket[] peers = new TcpSocket[batch];
            for (int r = 0; r < rounds; r++) {
                for (CloseMode mode : modes) {
                    for (int i = 0; i < batch; i++) {
                        peers[i] = TcpSocket.connect(l.localAddress());
                        mine[i] = l.accept();
                    }
                    long a = mx.getCurrentThreadAllocatedBytes();
                    long b = mx.getCurrentThreadAllocatedBytes();
                    for (int i = 0; i < batch; i++) {
                        mine[i].closeFast(mode);
                    }
                    long c = mx.getCurrentThreadAllocatedBytes();
                    for (int i = 0; i < batch; i++) {
                        peers[i].closeFast(CloseMode.ABORT);
                    }
                    System.out.println(r + " " + mode + " " + ((c - b) - (b - a)));
                }
            }
        }
    }
}
