package dev.teardown.bench;

import dev.teardown.TcpState;
import dev.teardown.inspect.TcpTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * What the benchmarks read from the kernel, always in the calling thread's network namespace: the
 * TIME_WAIT count (teardown's {@link TcpTable}, sock_diag), the RST and TIME_WAIT counters of
 * {@code /proc/net/snmp} and {@code /proc/net/netstat}, and sysctls.
 */
final class Kernel {
    private Kernel() {}

    private static final Set<TcpState> TIME_WAIT = EnumSet.of(TcpState.TIME_WAIT);

    /** Sockets in TIME_WAIT in this namespace, IPv4 and IPv6 (TcpTable.counts, filtered by the kernel). */
    static int timeWait() {
        return TcpTable.counts(TIME_WAIT, 0).get(TcpState.TIME_WAIT);
    }

    /** "Tcp: OutRsts" of /proc/net/snmp: RST segments this namespace sent, either side. */
    static long outRsts() {
        return counter("/proc/thread-self/net/snmp", "Tcp:", "OutRsts");
    }

    /** "TcpExt: TWRecycled": TIME_WAIT entries reused by connect() under tcp_tw_reuse. */
    static long twRecycled() {
        return counter("/proc/thread-self/net/netstat", "TcpExt:", "TWRecycled");
    }

    /** A "Prefix: names" / "Prefix: values" pair of lines; -1 if the file or the name is missing. */
    static long counter(String file, String prefix, String name) {
        try {
            List<String> lines = Files.readAllLines(Paths.get(file));
            for (int i = 0; i + 1 < lines.size(); i++) {
                String head = lines.get(i);
                String vals = lines.get(i + 1);
                if (head.startsWith(prefix) && vals.startsWith(prefix)) {
                    String[] h = head.trim().split("\\s+");
                    String[] v = vals.trim().split("\\s+");
                    for (int k = 1; k < h.length && k < v.length; k++) {
                        if (h[k].equals(name)) {
                            return Long.parseLong(v[k]);
                        }
                    }
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /** A sysctl of this namespace ("net.ipv4.tcp_tw_reuse"), or "n/a" where the kernel has none. */
    static String sysctl(String name) {
        Path p = Paths.get("/proc/sys/" + name.replace('.', '/'));
        // One read from offset 0: procfs integer sysctls return nothing to a read at a later offset.
        try (java.io.InputStream in = Files.newInputStream(p)) {
            return new String(in.readNBytes(4096), java.nio.charset.StandardCharsets.US_ASCII).trim().replaceAll("\\s+", " ");
        } catch (IOException e) {
            return "n/a";
        }
    }

    /** The network namespace of this thread ("net:[4026531840]"), or "?" if unreadable. */
    static String netns() {
        try {
            return Files.readSymbolicLink(Paths.get("/proc/thread-self/ns/net")).toString();
        } catch (IOException | UnsupportedOperationException e) {
            return "?";
        }
    }

    /** True/false when this thread's namespace is known to differ from/equal init's; null if unknown. */
    static Boolean privateNetns() {
        try {
            String init = Files.readSymbolicLink(Paths.get("/proc/1/ns/net")).toString();
            return !init.equals(netns());
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return null;
        }
    }

    static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[2].equals("0"); // effective uid
                }
            }
        } catch (IOException e) {
            // not Linux
        }
        return "root".equals(System.getProperty("user.name"));
    }

    static String kernelRelease() {
        try {
            return Files.readString(Paths.get("/proc/sys/kernel/osrelease")).trim();
        } catch (IOException e) {
            return System.getProperty("os.version");
        }
    }

    /** The settings that decide churn and TIME_WAIT behaviour, one line. */
    static String settings() {
        return "ip_local_port_range=" + sysctl("net.ipv4.ip_local_port_range").replace(' ', '-')
                + " tcp_tw_reuse=" + sysctl("net.ipv4.tcp_tw_reuse")
                + " tcp_tw_reuse_delay=" + sysctl("net.ipv4.tcp_tw_reuse_delay")
                + " tcp_timestamps=" + sysctl("net.ipv4.tcp_timestamps")
                + " tcp_max_tw_buckets=" + sysctl("net.ipv4.tcp_max_tw_buckets")
                + " somaxconn=" + sysctl("net.core.somaxconn");
    }
}
