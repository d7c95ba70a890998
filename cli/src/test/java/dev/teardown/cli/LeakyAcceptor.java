package dev.teardown.cli;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/** A plain JDK server for {@link DoctorPidTest}: accepts and keeps every connection, never closing one. */
public final class LeakyAcceptor {
    public static void main(String[] args) throws Exception {
        List<Socket> held = new ArrayList<>();
        try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            System.out.println("port " + listener.getLocalPort());
            System.out.flush();
            while (true) {
                held.add(listener.accept()); // LEAK
            }
        }
    }
}
