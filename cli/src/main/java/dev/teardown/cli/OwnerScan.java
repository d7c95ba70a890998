package dev.teardown.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One pass over {@code /proc/*}{@code /fd}: every socket inode to the process that holds it (what {@code ss -p}
 * does). A socket held by several processes (a forked child, a passed descriptor) keeps its first holder and
 * lists the others in {@link #otherHolders}. Processes whose descriptors cannot be read (another user's,
 * without root) are counted; processes that exit during the pass are simply gone. Command lines are read
 * later, only for the processes a report names.
 */
final class OwnerScan {
    /** A process that holds at least one socket. */
    static final class Owner {
        final long pid;
        final int index;
        private String command;

        Owner(long pid, int index) {
            this.pid = pid;
            this.index = index;
        }

        /** The command line, escaped ({@link Untrusted}); "[comm]" when empty; "(exited)" when gone. */
        String command() {
            if (command == null) {
                command = readCommand(pid);
            }
            return command;
        }
    }

    static final int NONE = -1;
    private static final Path PROC = Paths.get("/proc");
    /** The longest command line kept: bounded memory whatever a process puts in its argv. */
    static final int MAX_COMMAND_BYTES = 4096;

    private final LongIntMap owner = new LongIntMap();
    private final List<Owner> owners = new ArrayList<>();
    private final Map<Long, List<Owner>> others = new HashMap<>();
    private int unreadable;
    private int processes;
    private long nanos;

    private OwnerScan() {}

    /** Scans every process visible in this PID namespace. */
    static OwnerScan run() {
        OwnerScan s = new OwnerScan();
        long start = System.nanoTime();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(PROC)) {
            for (Path p : procs) {
                String name = p.getFileName().toString();
                if (name.isEmpty() || name.charAt(0) < '0' || name.charAt(0) > '9') {
                    continue;
                }
                s.scan(Long.parseLong(name), p.resolve("fd"));
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot list /proc", e);
        }
        s.nanos = System.nanoTime() - start;
        return s;
    }

    private void scan(long pid, Path fdDir) {
        Owner me = null;
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(fdDir)) {
            processes++;
            for (Path fd : fds) {
                String link;
                try {
                    link = Files.readSymbolicLink(fd).toString();
                } catch (IOException e) {
                    continue; // closed meanwhile
                }
                long inode = socketInode(link);
                if (inode <= 0) {
                    continue;
                }
                if (me == null) {
                    me = new Owner(pid, owners.size());
                    owners.add(me);
                }
                int first = owner.putIfAbsent(inode, me.index, NONE);
                if (first != NONE && first != me.index) {
                    List<Owner> more = others.computeIfAbsent(inode, k -> new ArrayList<>(1));
                    if (!more.contains(me)) {
                        more.add(me);
                    }
                }
            }
        } catch (NoSuchFileException e) {
            // exited
        } catch (AccessDeniedException e) {
            unreadable++;
        } catch (IOException | SecurityException e) {
            if (Files.exists(fdDir.getParent())) {
                unreadable++;
            }
        }
    }

    /** The inode in a link "socket:[inode]", or -1. */
    static long socketInode(String link) {
        if (!link.startsWith("socket:[") || !link.endsWith("]")) {
            return -1;
        }
        try {
            return Long.parseLong(link, 8, link.length() - 1, 10);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The first holder of socket {@code inode}, or null if none was found. */
    Owner ownerOf(long inode) {
        int i = owner.get(inode, NONE);
        return i == NONE ? null : owners.get(i);
    }

    /** Holders of {@code inode} besides {@link #ownerOf}: usually children that inherited it. */
    List<Owner> otherHolders(long inode) {
        return others.getOrDefault(inode, List.of());
    }

    /** Processes that hold at least one socket. */
    List<Owner> owners() {
        return owners;
    }

    /** Processes whose descriptor table could not be read. */
    int unreadable() {
        return unreadable;
    }

    /** Processes whose descriptors were read. */
    int processes() {
        return processes;
    }

    /** Socket inodes found. */
    int sockets() {
        return owner.size();
    }

    /** Wall time of the pass. */
    long nanos() {
        return nanos;
    }

    static String readCommand(long pid) {
        Path dir = PROC.resolve(Long.toString(pid));
        try {
            byte[] raw = readAtMost(dir.resolve("cmdline"), MAX_COMMAND_BYTES);
            int n = raw.length;
            while (n > 0 && raw[n - 1] == 0) {
                n--;
            }
            for (int i = 0; i < n; i++) {
                if (raw[i] == 0) {
                    raw[i] = ' ';
                }
            }
            if (n > 0) {
                return Untrusted.escape(raw, n) + (raw.length == MAX_COMMAND_BYTES ? "..." : "");
            }
            byte[] comm = readAtMost(dir.resolve("comm"), 64);
            int c = comm.length;
            while (c > 0 && (comm[c - 1] == '\n' || comm[c - 1] == 0)) {
                c--;
            }
            return "[" + Untrusted.escape(comm, c) + "]";
        } catch (NoSuchFileException e) {
            return "(exited)";
        } catch (IOException e) {
            return "?";
        }
    }

    private static byte[] readAtMost(Path p, int max) throws IOException {
        try (InputStream in = Files.newInputStream(p)) {
            return in.readNBytes(max);
        }
    }
}
