import dev.teardown.*;
import java.net.*;
import java.nio.channels.SocketChannel;
public class SyscallLoop {
  public static void main(String[] a) throws Exception {
    InetSocketAddress to = new InetSocketAddress("127.0.0.1", Integer.parseInt(a[1]));
    int n = Integer.parseInt(a[2]);
    for (int i = 0; i < 2000; i++) run(a[0], to);
    System.out.println("MARK-START");
    System.out.flush();
    Thread.sleep(200);
    for (int i = 0; i < n; i++) run(a[0], to);
    Thread.sleep(200);
    System.out.println("MARK-END");
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
