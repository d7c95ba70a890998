import dev.teardown.*;
import java.lang.management.*;
import java.net.*;
import java.nio.channels.SocketChannel;
public class CpuPerConnection {
  public static void main(String[] a) throws Exception {
    InetSocketAddress to = new InetSocketAddress("127.0.0.1", Integer.parseInt(a[1]));
    int n = Integer.parseInt(a[2]);
    for (int i = 0; i < 30000; i++) run(a[0], to);
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    long c0 = mx.getCurrentThreadCpuTime(), u0 = mx.getCurrentThreadUserTime(), t0 = System.nanoTime();
    for (int i = 0; i < n; i++) run(a[0], to);
    long c1 = mx.getCurrentThreadCpuTime(), u1 = mx.getCurrentThreadUserTime(), t1 = System.nanoTime();
    System.out.printf("%s: wall %.1f us/conn (%.0f conns/s), cpu %.2f us/conn: user %.2f sys %.2f%n", a[0],
      (t1-t0)/1e3/n, n*1e9/(t1-t0), (c1-c0)/1e3/n, (u1-u0)/1e3/n, ((c1-c0)-(u1-u0))/1e3/n);
  }
  static void run(String what, InetSocketAddress to) throws Exception {
    switch (what) {
      case "td": TcpSocket.connect(to).close(CloseMode.RELEASE); break;
      case "tda": TcpSocket.connect(to).close(CloseMode.ABORT); break;
      case "ch": SocketChannel.open(to).close(); break;
      case "so": { Socket s = new Socket(); s.connect(to); s.close(); break; }
    }
  }
}
