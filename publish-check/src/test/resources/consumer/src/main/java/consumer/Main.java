package consumer;

import dev.teardown.CloseMode;
import dev.teardown.CloseOutcome;
import dev.teardown.TcpListener;
import dev.teardown.TcpSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** One echo through teardown, then each side closed with a named mode; prints what it saw. */
public final class Main {
    public static void main(String[] args) throws Exception {
        System.out.println("teardown module: " + TcpSocket.class.getModule().getName());
        try (TcpListener listener = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            TcpSocket client = TcpSocket.connect(listener.localAddress());
            TcpSocket server = listener.accept();
            client.write(ByteBuffer.wrap("ping".getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer in = ByteBuffer.allocate(4);
            while (in.hasRemaining() && server.read(in) >= 0) {
                // until the four bytes are in
            }
            server.write(in.flip());
            ByteBuffer back = ByteBuffer.allocate(4);
            while (back.hasRemaining() && client.read(back) >= 0) {
                // until the echo is in
            }
            System.out.println("echo: " + new String(back.array(), StandardCharsets.US_ASCII));
            CloseOutcome aborted = server.close(CloseMode.ABORT);
            CloseOutcome released = client.close(CloseMode.RELEASE);
            System.out.println("server sent: " + aborted.sent() + ", client sent: " + released.sent());
        }
    }
}
