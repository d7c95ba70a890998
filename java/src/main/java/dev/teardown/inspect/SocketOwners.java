package dev.teardown.inspect;

import dev.teardown.internal.SocketSites;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Which processes hold a socket: every {@code /proc/PID/fd/N} whose link reads {@code socket:[inode]}, with
 * each holder's command line from {@code /proc/PID/cmdline}, what {@code ss -p} and {@code lsof} show.
 * Processes whose descriptor table cannot be read (another user's, without root) are counted in
 * {@link #unreadableProcesses()}, never silently skipped; processes that exit during the scan are simply
 * gone. Socket inodes are unique across network namespaces, so the scan covers every process this one can
 * see in its PID namespace.
 *
 * <p>An instance is the result of one scan for one inode.
 */
public final class SocketOwners {
    /** One descriptor that refers to the socket. */
    public record Holder(long pid, int fd, String command) {
        /** "pid 4242 fd 5 (python3 worker.py)". */
        @Override
        public String toString() {
            return "pid " + pid + " fd " + fd + " (" + command + ")";
        }
    }

    private static final Path PROC = Paths.get("/proc");
    private static final int MAX_COMMAND = 80;

    private final long inode;
    private final List<Holder> holders;
    private final int unreadable;

    private SocketOwners(long inode, List<Holder> holders, int unreadable) {
        this.inode = inode;
        this.holders = Collections.unmodifiableList(holders);
        this.unreadable = unreadable;
    }

    /** The inode that was looked for. */
    public long inode() {
        return inode;
    }

    /** Every descriptor found that refers to the socket, by pid then fd. */
    public List<Holder> holders() {
        return holders;
    }

    /** Processes whose descriptors could not be read, so a holder may have been missed. */
    public int unreadableProcesses() {
        return unreadable;
    }

    /** The holders other than descriptor {@code fd} of process {@code pid}. */
    public List<Holder> except(long pid, int fd) {
        List<Holder> out = new ArrayList<>();
        for (Holder h : holders) {
            if (h.pid != pid || h.fd != fd) {
                out.add(h);
            }
        }
        return out;
    }

    /** The holders in processes other than {@code pid}. */
    public List<Holder> outside(long pid) {
        List<Holder> out = new ArrayList<>();
        for (Holder h : holders) {
            if (h.pid != pid) {
                out.add(h);
            }
        }
        return out;
    }

    /**
     * One line naming the holders other than ({@code pid}, {@code fd}): "still held by pid 4242 fd 5
     * (python3 worker.py)"; several are joined with "; " and a count of unreadable processes is appended.
     * Empty if no other holder was found (the line would not be true).
     */
    public Optional<String> describeOthers(long pid, int fd) {
        return describe(except(pid, fd), unreadable);
    }

    static Optional<String> describe(List<Holder> others, int unreadable) {
        if (others.isEmpty()) {
            return Optional.empty();
        }
        StringBuilder b = new StringBuilder("still held by ");
        int shown = 0;
        for (Holder h : others) {
            if (shown == 3) {
                b.append("; and ").append(others.size() - shown).append(" more");
                break;
            }
            if (shown > 0) {
                b.append("; ");
            }
            b.append(h);
            shown++;
        }
        if (unreadable > 0) {
            b.append(" (").append(unreadable).append(unreadable == 1 ? " process" : " processes")
                    .append(" could not be read)");
        }
        return Optional.of(b.toString());
    }

    @Override
    public String toString() {
        return "socket:[" + inode + "] held by " + holders + (unreadable > 0 ? ", " + unreadable + " processes unreadable" : "");
    }

    // ---- lookups ----

    /**
     * The inodes of this process's sockets, whoever opened them (teardown, JDK channels, Netty...): the
     * descriptors in {@code /proc/self/fd} that are sockets. Match them with {@link TcpEntry#inode()}.
     */
    public static Set<Long> ofThisProcess() {
        return Collections.unmodifiableSet(OwnSockets.inodes().keySet());
    }

    /** The pid of this JVM. */
    public static long selfPid() {
        return ProcessHandle.current().pid();
    }

    /**
     * The inode of the socket behind this process's descriptor {@code fd}, from the link
     * {@code /proc/self/fd/fd} ({@code socket:[inode]}). Empty if {@code fd} is not open or not a socket.
     */
    public static OptionalLong inodeOf(int fd) {
        return SocketSites.inodeOf(fd);
    }

    /** The inode in a link "socket:[inode]", or -1 if it names no socket. */
    static long parseSocketLink(String link) {
        return SocketSites.parseSocketLink(link);
    }

    /** Every process's descriptors that refer to socket {@code inode}. */
    public static SocketOwners of(long inode) {
        return of(Set.of(inode)).get(inode);
    }

    /** The holders of the socket of {@code entry}; none for an entry without a descriptor (inode 0). */
    public static SocketOwners of(TcpEntry entry) {
        if (entry.inode() == 0) {
            return new SocketOwners(0, List.of(), 0);
        }
        return of(entry.inode());
    }

    /**
     * The holders of several sockets with one scan of {@code /proc}; every inode asked for is a key.
     */
    public static Map<Long, SocketOwners> of(Set<Long> inodes) {
        Map<Long, List<Holder>> found = new HashMap<>();
        int unreadable = 0;
        if (!inodes.isEmpty()) {
            List<Long> pids = new ArrayList<>();
            try (DirectoryStream<Path> procs = Files.newDirectoryStream(PROC)) {
                for (Path p : procs) {
                    String name = p.getFileName().toString();
                    if (!name.isEmpty() && Character.isDigit(name.charAt(0))) {
                        pids.add(Long.parseLong(name));
                    }
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("cannot list /proc", e);
            }
            Collections.sort(pids);
            for (long pid : pids) {
                if (!scan(pid, inodes, found)) {
                    unreadable++;
                }
            }
        }
        Map<Long, SocketOwners> out = new LinkedHashMap<>();
        for (Long inode : inodes) {
            List<Holder> h = found.getOrDefault(inode, new ArrayList<>());
            h.sort((a, b) -> a.pid != b.pid ? Long.compare(a.pid, b.pid) : Integer.compare(a.fd, b.fd));
            out.put(inode, new SocketOwners(inode, h, unreadable));
        }
        return out;
    }

    /**
     * "still held by pid 4242 fd 5 (python3 worker.py)" for socket {@code inode}, leaving out descriptor
     * {@code excludeFd} of process {@code excludePid} (pass -1 to leave out nothing); empty if nobody else
     * holds it. Scans /proc: call it once you know the socket lives on (for example, its table entry still
     * has this inode after a close).
     */
    public static Optional<String> stillHeldBy(long inode, long excludePid, int excludeFd) {
        return of(inode).describeOthers(excludePid, excludeFd);
    }

    /**
     * After this process closed its descriptor of a connection: "still held by pid 4242 fd 5 (python3
     * worker.py)" if the socket lives on because another descriptor still refers to it, empty if it does not
     * (then the close was the last reference and the kernel sent FIN or RST). The cheap part runs first: one
     * sock_diag lookup of ({@code local}, {@code remote}) in the calling thread's namespace, which still finds
     * the socket with {@code inode} only while someone holds it (an orphan's inode is 0). Only then is
     * {@code /proc} scanned for the holders. If none can be named (they are in processes this one cannot read),
     * the line says so.
     *
     * @param inode the socket's inode, from {@link #inodeOf(int)} before the close
     * @param local the connection's local address, from getsockname before the close
     * @param remote the peer's address
     */
    public static Optional<String> stillHeldAfterClose(long inode, InetSocketAddress local, InetSocketAddress remote) {
        if (inode <= 0 || local == null || remote == null) {
            return Optional.empty();
        }
        Optional<TcpEntry> e = TcpTable.lookup(local, remote);
        if (e.isEmpty() || e.get().inode() != inode) {
            return Optional.empty();
        }
        SocketOwners o = of(inode);
        Optional<String> line = describe(o.holders, o.unreadable);
        if (line.isPresent()) {
            return line;
        }
        return Optional.of("still held by another descriptor"
                + (o.unreadable > 0 ? " in one of " + o.unreadable + " processes that could not be read" : ""));
    }

    /** Scans one process; false if its descriptor table could not be read. */
    private static boolean scan(long pid, Set<Long> inodes, Map<Long, List<Holder>> found) {
        Path fdDir = PROC.resolve(Long.toString(pid)).resolve("fd");
        String command = null;
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(fdDir)) {
            for (Path fdPath : fds) {
                String link;
                try {
                    link = Files.readSymbolicLink(fdPath).toString();
                } catch (IOException e) {
                    continue; // closed meanwhile
                }
                long ino = parseSocketLink(link);
                if (ino > 0 && inodes.contains(ino)) {
                    if (command == null) {
                        command = command(pid);
                    }
                    found.computeIfAbsent(ino, k -> new ArrayList<>())
                            .add(new Holder(pid, Integer.parseInt(fdPath.getFileName().toString()), command));
                }
            }
            return true;
        } catch (NoSuchFileException e) {
            return true; // exited
        } catch (AccessDeniedException e) {
            return false;
        } catch (IOException | SecurityException e) {
            return !Files.exists(fdDir.getParent());
        }
    }

    /** The command line of {@code pid}, arguments joined by spaces, shortened; "[comm]" for kernel threads. */
    static String command(long pid) {
        Path dir = PROC.resolve(Long.toString(pid));
        try {
            byte[] raw = Files.readAllBytes(dir.resolve("cmdline"));
            int n = raw.length;
            while (n > 0 && raw[n - 1] == 0) {
                n--;
            }
            for (int i = 0; i < n; i++) {
                if (raw[i] == 0) {
                    raw[i] = ' ';
                }
            }
            String s = new String(raw, 0, n, StandardCharsets.UTF_8).trim();
            if (s.isEmpty()) {
                s = "[" + new String(Files.readAllBytes(dir.resolve("comm")), StandardCharsets.UTF_8).trim() + "]";
            }
            return s.length() > MAX_COMMAND ? s.substring(0, MAX_COMMAND - 3) + "..." : s;
        } catch (IOException e) {
            return "?";
        }
    }
}
