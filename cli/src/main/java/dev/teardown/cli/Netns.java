package dev.teardown.cli;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A network namespace as the doctor finds it: its inode (what {@code /proc/PID/ns/net} links to, {@code net:[N]}),
 * a file to enter it by ({@code /proc/PID/ns/net} of a process in it, or an {@code ip netns} bind mount), the
 * processes in it, and the {@code ip netns} name when it has one.
 *
 * @param pids processes whose namespace it is, lowest first (at most {@link #MAX_PIDS})
 */
record Netns(long inode, String path, List<Long> pids, String ipName) {
    static final int MAX_PIDS = 64;
    private static final Path RUN_NETNS = Paths.get("/run/netns");

    /** The files to try, in order: a bind mount survives its processes; a pid may exit while it is read. */
    List<String> paths() {
        List<String> out = new ArrayList<>();
        out.add(path);
        for (long pid : pids) {
            String p = "/proc/" + pid + "/ns/net";
            if (!out.contains(p)) {
                out.add(p);
            }
        }
        return out;
    }

    /** "net:[4026531840]" as /proc shows it. */
    String link() {
        return "net:[" + inode + "]";
    }

    /**
     * Every network namespace on the machine (as far as this PID namespace sees): one entry per namespace, not per
     * process, from one readlink of {@code /proc/*}{@code /ns/net} each, plus {@code ip netns} names
     * ({@code /run/netns}) whether or not a process is in them. Processes that exit meanwhile are skipped.
     */
    static List<Netns> all() {
        Map<Long, List<Long>> byInode = new LinkedHashMap<>();
        String[] names = new File("/proc").list();
        if (names != null) {
            long[] pids = new long[names.length];
            int n = 0;
            for (String name : names) {
                if (!name.isEmpty() && name.charAt(0) >= '1' && name.charAt(0) <= '9') {
                    pids[n++] = Long.parseLong(name);
                }
            }
            java.util.Arrays.sort(pids, 0, n);
            for (int i = 0; i < n; i++) {
                long inode = inodeOf("/proc/" + pids[i] + "/ns/net");
                if (inode > 0) {
                    List<Long> in = byInode.computeIfAbsent(inode, k -> new ArrayList<>());
                    if (in.size() < MAX_PIDS) {
                        in.add(pids[i]);
                    }
                }
            }
        }
        Map<Long, String> ipNames = ipNames();
        List<Netns> out = new ArrayList<>();
        for (Map.Entry<Long, List<Long>> e : byInode.entrySet()) {
            String ip = ipNames.remove(e.getKey());
            String path = ip != null ? RUN_NETNS.resolve(ip).toString() : "/proc/" + e.getValue().get(0) + "/ns/net";
            out.add(new Netns(e.getKey(), path, List.copyOf(e.getValue()), ip));
        }
        for (Map.Entry<Long, String> e : ipNames.entrySet()) {
            out.add(new Netns(e.getKey(), RUN_NETNS.resolve(e.getValue()).toString(), List.of(), e.getValue()));
        }
        return out;
    }

    /**
     * The namespace named by {@code spec}: a pid (its {@code /proc/PID/ns/net}) or a path to a namespace file.
     *
     * @throws IllegalArgumentException naming what is wrong when it names no readable network namespace
     */
    static Netns of(String spec) {
        String path = spec.chars().allMatch(Character::isDigit) && !spec.isEmpty() ? "/proc/" + spec + "/ns/net" : spec;
        long inode = inodeOf(path);
        if (inode <= 0) {
            // an ip netns bind mount is not a symlink: its inode is the namespace's
            try {
                Object ino = Files.getAttribute(Paths.get(path), "unix:ino");
                inode = ((Number) ino).longValue();
            } catch (IOException | RuntimeException e) {
                throw new IllegalArgumentException("'" + spec + "' is neither a process id nor a network namespace file ("
                        + path + ": " + (e instanceof IOException ? e.toString() : e.getMessage()) + ")");
            }
        }
        for (Netns n : all()) {
            if (n.inode == inode) {
                return new Netns(inode, path, n.pids, n.ipName);
            }
        }
        return new Netns(inode, path, List.of(), null);
    }

    /** The inode of the calling thread's network namespace, or -1. */
    static long current() {
        return inodeOf("/proc/thread-self/ns/net");
    }

    /** The namespace inode a {@code ns/net} link names, or -1 when it cannot be read. */
    static long inodeOf(String link) {
        try {
            String s = Files.readSymbolicLink(Paths.get(link)).toString();
            if (s.startsWith("net:[") && s.endsWith("]")) {
                return Long.parseLong(s, 5, s.length() - 1, 10);
            }
        } catch (IOException | RuntimeException e) {
            // gone, or not ours to read
        }
        return -1;
    }

    private static Map<Long, String> ipNames() {
        Map<Long, String> out = new LinkedHashMap<>();
        String[] names = RUN_NETNS.toFile().list();
        if (names == null) {
            return out;
        }
        java.util.Arrays.sort(names);
        for (String name : names) {
            try {
                Object ino = Files.getAttribute(RUN_NETNS.resolve(name), "unix:ino");
                long inode = ((Number) ino).longValue();
                // an unmounted placeholder (ip netns add failed half-way) is a plain empty file on /run's own fs
                if (inode > 0 && isMountedNamespace(RUN_NETNS.resolve(name))) {
                    out.putIfAbsent(inode, name);
                }
            } catch (IOException | RuntimeException e) {
                // deleted meanwhile
            }
        }
        return out;
    }

    /** A bind-mounted namespace lives on nsfs, another device than /run/netns itself. */
    private static boolean isMountedNamespace(Path p) {
        try {
            return !Files.getAttribute(p, "unix:dev").equals(Files.getAttribute(RUN_NETNS, "unix:dev"));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
