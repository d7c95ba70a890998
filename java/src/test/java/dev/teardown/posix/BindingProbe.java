package dev.teardown.posix;

import dev.teardown.TcpListener;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/** Run in a child JVM by {@link BindingTest}: prints the binding, then whether teardown's first use worked. */
public final class BindingProbe {
    private BindingProbe() {}

    public static void main(String[] args) {
        try (TcpListener l = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            System.out.println("binding=" + Libc.binding());
            System.out.println("first use: ok");
        } catch (Throwable t) {
            System.out.println("first use failed: " + t);
        }
        try (TcpListener l = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            System.out.println("second use: ok");
        } catch (Throwable t) {
            System.out.println("second use failed: " + t);
        }
    }
}
