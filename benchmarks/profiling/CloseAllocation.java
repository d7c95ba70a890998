import dev.teardown.*;
import java.lang.management.*;
import java.net.*;
import java.nio.channels.SocketChannel;
import java.util.*;
public class CloseAllocation {
  static final com.sun.management.ThreadMXBean MX = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
  public static void main(String[] a) throws Exception {
    InetSocketAddress to = new InetSocketAddress("127.0.0.1", Integer.parseInt(a[1]));
    boolean keep = a.length > 2;
    TreeMap<Long, Integer> hist = new TreeMap<>();
    Object sink = null;
    for (int round = 0; round < 2; round++) {
      hist.clear();
      long total = 0; int n = 60000;
      for (int i = 0; i < n; i++) {
        TcpSocket s = null; SocketChannel ch = null;
        if (a[0].equals("td")) s = TcpSocket.connect(to); else ch = SocketChannel.open(to);
        long m = MX.getCurrentThreadAllocatedBytes();
        if (s != null) { CloseOutcome o = s.close(CloseMode.RELEASE); if (keep) sink = o; } else ch.close();
        long d = MX.getCurrentThreadAllocatedBytes() - m;
        total += d;
        if (d != 0) hist.merge(d, 1, Integer::sum);
      }
      System.out.println(a[0] + (keep ? " (outcome kept)" : "") + " round " + round + ": " + (double) total / n + " B/close; nonzero deltas " + hist);
    }
    if (sink != null) System.out.println(sink.hashCode() == 42 ? "" : "");
  }
}
