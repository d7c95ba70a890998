import dev.teardown.posix.*;
public class JnaCallCost {
  public static void main(String[] a) {
    long s = 0;
    for (int r = 0; r < 5; r++) {
      long t0 = System.nanoTime();
      for (int i = 0; i < 2_000_000; i++) s += Libc.getpid();
      long t1 = System.nanoTime();
      for (int i = 0; i < 2_000_000; i++) s += ProcessHandle.current().pid() > 0 ? 1 : 0;
      long t2 = System.nanoTime();
      Buffers.Cell c = Buffers.cell();
      for (int i = 0; i < 2_000_000; i++) s += Libc.ioctl(-1, Os.FIONREAD, c.address);
      long t3 = System.nanoTime();
      System.out.printf("JNA getpid %.0f ns/call, JNA ioctl(EBADF) %.0f ns/call%n", (t1 - t0) / 2e6, (t3 - t2) / 2e6);
    }
    System.out.println(s == 42 ? "" : "");
  }
}
