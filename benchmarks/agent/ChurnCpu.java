import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.util.Arrays;

/**
 * The agent's cost per connection as CPU time of the connecting thread, which other processes on a busy machine
 * disturb far less than wall-clock throughput: {@code SocketChannel.open(address)} then {@code close()}, 12 windows of
 * 0.4 s after 2 s of warm-up; prints the median CPU nanoseconds per connection, all (user + system) then user mode
 * only (the agent's own code runs in user mode; the kernel's share moves with the machine's state). Run by
 * {@code agent-churn.sh cpu}: {@code java ChurnCpu.java PORT LABEL}.
 */
public final class ChurnCpu {
    public static void main(String[] args) throws Exception {
        InetSocketAddress to = new InetSocketAddress("127.0.0.1", Integer.parseInt(args[0]));
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        for (long end = System.nanoTime() + 2_000_000_000L; System.nanoTime() < end; ) {
            SocketChannel.open(to).close();
        }
        long[] cpu = new long[12];
        long[] user = new long[12];
        for (int w = 0; w < cpu.length; w++) {
            long n = 0;
            long c0 = threads.getCurrentThreadCpuTime();
            long u0 = threads.getCurrentThreadUserTime();
            for (long end = System.nanoTime() + 400_000_000L; System.nanoTime() < end; n++) {
                SocketChannel.open(to).close();
            }
            cpu[w] = (threads.getCurrentThreadCpuTime() - c0) / n;
            user[w] = (threads.getCurrentThreadUserTime() - u0) / n;
        }
        Arrays.sort(cpu);
        Arrays.sort(user);
        System.out.println(args[1] + " " + (cpu[5] + cpu[6]) / 2 + " " + (user[5] + user[6]) / 2);
    }
}
