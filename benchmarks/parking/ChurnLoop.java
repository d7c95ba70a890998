import dev.teardown.CloseMode;
import dev.teardown.TcpSocket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * One client thread: connect, write 1 byte, read the echo, close with the mode (abort: ABORT, release: RELEASE),
 * WARM connections discarded, then COUNT timed; prints "COUNT conns in S s: R/s". Run as a source file by
 * churn-pinned.sh, against accept-close-listener --mode wait-for-client.
 */
public class ChurnLoop {
    public static void main(String[] a) throws Exception {
        InetSocketAddress to = new InetSocketAddress("127.0.0.1", Integer.parseInt(a[0]));
        int count = Integer.parseInt(a[1]);
        CloseMode mode = a[2].equals("abort") ? CloseMode.ABORT : CloseMode.RELEASE;
        int warm = Integer.parseInt(a[3]);
        ByteBuffer one = ByteBuffer.allocateDirect(1);
        run(to, warm, mode, one);
        long t0 = System.nanoTime();
        run(to, count, mode, one);
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf("%d conns in %.3f s: %.0f/s%n", count, s, count / s);
    }

    private static void run(InetSocketAddress to, int n, CloseMode mode, ByteBuffer one) throws Exception {
        for (int i = 0; i < n; i++) {
            TcpSocket s = TcpSocket.connect(to);
            one.clear().put((byte) 'x').flip();
            s.write(one);
            one.clear();
            if (s.read(one) != 1) {
                throw new IllegalStateException("no echo");
            }
            s.close(mode);
        }
    }
}
