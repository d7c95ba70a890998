package dev.teardown.agent.report;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The TCP sockets a process holds, read from {@code /proc/<pid>/fd} and {@code /proc/<pid>/net/tcp}, {@code tcp6}
 * (the process's own network namespace). Plain Java, so it works inside any JVM the agent is loaded into and from a
 * JRE. Sockets that come and go while it reads are skipped, never an error, and one listed twice (the kernel's table
 * is read in chunks while it changes) is kept once.
 */
public final class ProcSockets {
    private static final String[] STATES = {"", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
        "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV"};

    private ProcSockets() {}

    /** The TCP states as the kernel names them, in its order. */
    public static List<String> states() {
        return List.of(STATES).subList(1, STATES.length);
    }

    /**
     * The TCP sockets held by a process whose state passes the filter.
     *
     * @param pid a process id, or {@code "self"}
     */
    public static List<KernelSocket> of(String pid, Predicate<String> state) throws IOException {
        Path proc = Path.of("/proc", pid);
        return read(proc, socketInodes(proc.resolve("fd")), state);
    }

    /**
     * Every TCP socket of the process's network namespace, whoever holds it (descriptor -1): where a report finds a
     * socket's peer and the listeners.
     */
    public static List<KernelSocket> namespace(String pid) throws IOException {
        return read(Path.of("/proc", pid), null, s -> true);
    }

    private static List<KernelSocket> read(Path proc, Map<Long, Integer> fds, Predicate<String> state)
            throws IOException {
        List<KernelSocket> out = new ArrayList<>();
        // the kernel's table is read in chunks while sockets come and go: a socket can appear twice, kept once
        Set<Long> seen = new HashSet<>();
        for (String table : new String[] {"tcp", "tcp6"}) {
            List<String> lines;
            try {
                lines = Files.readAllLines(proc.resolve("net").resolve(table));
            } catch (NoSuchFileException e) {
                continue; // no IPv6 in this kernel
            }
            for (int i = 1; i < lines.size(); i++) {
                KernelSocket s = parse(lines.get(i), fds, state);
                if (s != null && (s.inode() == 0 || seen.add(s.inode()))) {
                    out.add(s);
                }
            }
        }
        return out;
    }

    /** socket inode to the lowest descriptor that refers to it. */
    private static Map<Long, Integer> socketInodes(Path fdDir) throws IOException {
        Map<Long, Integer> fds = new HashMap<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(fdDir)) {
            for (Path p : dir) {
                String target;
                try {
                    target = Files.readSymbolicLink(p).toString();
                } catch (IOException e) {
                    continue; // closed meanwhile
                }
                if (target.startsWith("socket:[")) {
                    long inode = Long.parseLong(target.substring(8, target.length() - 1));
                    fds.merge(inode, Integer.parseInt(p.getFileName().toString()), Math::min);
                }
            }
        }
        return fds;
    }

    private static KernelSocket parse(String line, Map<Long, Integer> fds, Predicate<String> wanted) {
        String[] f = line.trim().split("\\s+");
        if (f.length < 10) {
            return null;
        }
        long inode = Long.parseLong(f[9]);
        Integer fd = fds == null ? Integer.valueOf(-1) : fds.get(inode);
        if (fd == null) {
            return null;
        }
        int st = Integer.parseInt(f[3], 16);
        String state = st > 0 && st < STATES.length ? STATES[st] : "UNKNOWN_" + st;
        if (!wanted.test(state)) {
            return null;
        }
        String[] queues = f[4].split(":");
        return new KernelSocket(fd, inode, state, endpoint(f[1]), endpoint(f[2]), Long.parseLong(queues[1], 16),
                Long.parseLong(queues[0], 16));
    }

    /** {@code 0100007F:1F90} or the 32-digit IPv6 form, each 32-bit word in host (little-endian) order. */
    static String endpoint(String hex) {
        int colon = hex.indexOf(':');
        String addr = hex.substring(0, colon);
        int port = Integer.parseInt(hex.substring(colon + 1), 16);
        byte[] b = new byte[addr.length() / 2];
        for (int w = 0; w < b.length / 4; w++) {
            for (int i = 0; i < 4; i++) {
                b[w * 4 + i] = (byte) Integer.parseInt(addr.substring(w * 8 + (3 - i) * 2, w * 8 + (3 - i) * 2 + 2), 16);
            }
        }
        return host(b) + ":" + port;
    }

    private static String host(byte[] b) {
        if (b.length == 4) {
            return (b[0] & 0xff) + "." + (b[1] & 0xff) + "." + (b[2] & 0xff) + "." + (b[3] & 0xff);
        }
        boolean mapped = true;
        for (int i = 0; i < 12; i++) {
            mapped &= b[i] == (i < 10 ? 0 : (byte) 0xff);
        }
        if (mapped) {
            return "[::ffff:" + (b[12] & 0xff) + "." + (b[13] & 0xff) + "." + (b[14] & 0xff) + "." + (b[15] & 0xff) + "]";
        }
        try {
            return "[" + compress(InetAddress.getByAddress(b).getHostAddress()) + "]";
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** {@code 0:0:0:0:0:0:0:1} to {@code ::1}: the longest run of zero groups becomes {@code ::}. */
    private static String compress(String full) {
        String[] g = full.split(":");
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < g.length; ) {
            int j = i;
            while (j < g.length && g[j].equals("0")) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        if (bestStart < 0) {
            return full;
        }
        return String.join(":", List.of(g).subList(0, bestStart)) + "::"
                + String.join(":", List.of(g).subList(bestStart + bestLen, g.length));
    }
}
