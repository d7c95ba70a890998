package org.example.leaky;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Not teardown-based: a plain {@code ServerSocket} server that reads each connection to EOF and never closes it, so
 * every connection whose client hangs up stays in CLOSE_WAIT. Prints its port, then serves until killed.
 */
public final class LeakyServer {
    private static final List<Socket> HELD = new CopyOnWriteArrayList<>();

    public static void main(String[] args) throws IOException {
        ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        System.out.println("port " + listener.getLocalPort());
        System.out.flush();
        acceptLoop(listener);
    }

    private static void acceptLoop(ServerSocket listener) throws IOException {
        while (true) {
            Socket s = listener.accept(); // LEAK: the accepted socket is never closed
            HELD.add(s);
            Thread reader = new Thread(() -> readToEnd(s));
            reader.setDaemon(true);
            reader.start();
        }
    }

    private static void readToEnd(Socket s) {
        try {
            InputStream in = s.getInputStream();
            byte[] buf = new byte[512];
            while (in.read(buf) >= 0) {
                // discard
            }
            // EOF: the peer has closed, and this method returns without closing the socket
        } catch (IOException e) {
            // peer reset
        }
    }
}
