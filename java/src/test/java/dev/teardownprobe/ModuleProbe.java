package dev.teardownprobe;

import dev.teardown.CloseMode;
import dev.teardown.TcpListener;
import dev.teardown.TcpSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Run by {@code ModulePathTest} from the class path, with teardown's jar on the module path: prints the module teardown
 * came from, whether it exports its binding, and whether a connection closes.
 */
public final class ModuleProbe {
    private ModuleProbe() {}

    public static void main(String[] args) throws Exception {
        Module m = TcpListener.class.getModule();
        System.out.println("module " + m.getName());
        System.out.println("exports posix " + m.isExported("dev.teardown.posix"));
        System.out.println("exports inspect " + m.isExported("dev.teardown.inspect"));
        try (TcpListener l = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             TcpSocket c = TcpSocket.connect(l.localAddress());
             TcpSocket s = l.accept()) {
            System.out.println("closed " + c.close(CloseMode.SHUTDOWN).sent());
        }
    }
}
