package dev.teardown.cli;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
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
        private String executable;

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

        /**
         * The process's name as the kernel keeps it ({@code /proc/PID/comm}, at most 15 bytes: the executable's file
         * name unless the process renamed itself), as decoded UTF-8, not escaped: OpenTelemetry's
         * {@code process.executable.name}. "" when gone.
         */
        String executableName() {
            if (executable == null) {
                executable = readComm(pid);
            }
            return executable;
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
    private long startedAtNanos;

    private OwnerScan() {}

    /** A scan started before the command line was parsed ({@link #startEarly}), until a reading takes it. */
    private static java.util.concurrent.CompletableFuture<OwnerScan> early;
    private static boolean taken;

    /**
     * Starts a scan now, on a thread of its own, so that it runs while the JVM is still starting (picocli, the native
     * binding); the first reading takes it ({@link #scan}) instead of starting another.
     */
    static synchronized void startEarly() {
        if (early == null && !taken) {
            early = java.util.concurrent.CompletableFuture.supplyAsync(OwnerScan::run, OwnerScan::onNewThread);
        }
    }

    /** The early scan if one was started and not taken yet, else a new scan on a thread of its own. */
    static synchronized java.util.concurrent.CompletableFuture<OwnerScan> scan() {
        taken = true;
        java.util.concurrent.CompletableFuture<OwnerScan> f = early;
        early = null;
        return f != null ? f : java.util.concurrent.CompletableFuture.supplyAsync(OwnerScan::run, OwnerScan::onNewThread);
    }

    private static void onNewThread(Runnable r) {
        Thread t = new Thread(r, "teardown-owner-scan");
        t.setDaemon(true);
        t.start();
    }

    /** Descriptors read per task: a process with 100,000 sockets is split, so every core helps. */
    private static final int CHUNK = 2048;

    /**
     * Scans every process visible in this PID namespace. The kernel's readlink of {@code /proc/PID/fd/N} costs
     * several microseconds (a path walk and a ptrace access check each), so the links are read by one thread per
     * core, in chunks; the results are merged in pid order.
     */
    static OwnerScan run() {
        OwnerScan s = new OwnerScan();
        long start = System.nanoTime();
        s.startedAtNanos = start;
        String[] names = new File("/proc").list();
        if (names == null) {
            throw new java.io.UncheckedIOException(new IOException("cannot list /proc"));
        }
        List<Task> tasks = new ArrayList<>();
        for (String name : names) {
            if (name.isEmpty() || name.charAt(0) < '0' || name.charAt(0) > '9') {
                continue;
            }
            long pid = Long.parseLong(name);
            File fdDir = new File("/proc/" + name + "/fd");
            String[] fds = fdDir.list();
            if (fds == null) {
                // exited, or not ours to read: tell them apart
                if (new File("/proc/" + name).exists() && !fdDir.canRead()) {
                    s.unreadable++;
                }
                continue;
            }
            s.processes++;
            for (int i = 0; i < fds.length; i += CHUNK) {
                tasks.add(new Task(pid, "/proc/" + name + "/fd/", fds, i, Math.min(fds.length, i + CHUNK)));
            }
        }
        int threads = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
        if (threads == 1 || tasks.size() < 2) {
            tasks.forEach(Task::run);
        } else {
            java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
            Runnable worker = () -> {
                for (int i; (i = next.getAndIncrement()) < tasks.size(); ) {
                    tasks.get(i).run();
                }
            };
            List<Thread> helpers = new ArrayList<>();
            for (int t = 1; t < threads; t++) {
                Thread h = new Thread(worker, "teardown-owner-scan-" + t);
                h.setDaemon(true);
                h.start();
                helpers.add(h);
            }
            worker.run();
            for (Thread h : helpers) {
                try {
                    h.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while scanning /proc", e);
                }
            }
        }
        for (Task t : tasks) {
            s.merge(t);
        }
        s.nanos = System.nanoTime() - start;
        return s;
    }

    /** Reads one slice of one process's descriptor links into a primitive array of socket inodes. */
    private static final class Task implements Runnable {
        final long pid;
        final String dir;
        final String[] fds;
        final int from;
        final int to;
        long[] inodes;
        int found;

        Task(long pid, String dir, String[] fds, int from, int to) {
            this.pid = pid;
            this.dir = dir;
            this.fds = fds;
            this.from = from;
            this.to = to;
        }

        @Override
        public void run() {
            long[] out = new long[to - from];
            int n = 0;
            for (int i = from; i < to; i++) {
                String link;
                try {
                    link = Files.readSymbolicLink(Paths.get(dir.concat(fds[i]))).toString();
                } catch (IOException | SecurityException e) {
                    continue; // closed meanwhile, or the process exited
                }
                long inode = socketInode(link);
                if (inode > 0) {
                    out[n++] = inode;
                }
            }
            inodes = out;
            found = n;
        }
    }

    private Owner lastOwner;

    private void merge(Task t) {
        if (t.found == 0) {
            return;
        }
        Owner me = lastOwner != null && lastOwner.pid == t.pid ? lastOwner : new Owner(t.pid, owners.size());
        if (me != lastOwner) {
            owners.add(me);
            lastOwner = me;
        }
        for (int i = 0; i < t.found; i++) {
            long inode = t.inodes[i];
            int first = owner.putIfAbsent(inode, me.index, NONE);
            if (first != NONE && first != me.index) {
                List<Owner> more = others.computeIfAbsent(inode, k -> new ArrayList<>(1));
                if (!more.contains(me)) {
                    more.add(me);
                }
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

    /** System.nanoTime() when the pass began (before the reading that uses it, when it was started early). */
    long startedAtNanos() {
        return startedAtNanos;
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

    static String readComm(long pid) {
        try {
            byte[] comm = readAtMost(PROC.resolve(Long.toString(pid)).resolve("comm"), 64);
            int c = comm.length;
            while (c > 0 && (comm[c - 1] == '\n' || comm[c - 1] == 0)) {
                c--;
            }
            return new String(comm, 0, c, java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static byte[] readAtMost(Path p, int max) throws IOException {
        try (InputStream in = Files.newInputStream(p)) {
            return in.readNBytes(max);
        }
    }
}
