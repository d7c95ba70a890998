package dev.teardown.posix;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * posix_spawn with file actions that give the child exactly the descriptors named: each source is first
 * moved above every number involved (so no dup2 overwrites a source still needed), then dup2'ed to its
 * target, every other descriptor from 3 up is closed (closefrom where libc has it), the signal mask is
 * emptied and every signal reset to its default.
 */
public final class Spawn {
    private Spawn() {}

    /** Spawns {@code command} and returns its pid; {@code targetToSource} maps child fd to our fd. */
    public static int spawn(List<String> command, Map<Integer, Integer> targetToSource, boolean devNull, String[] env)
        throws IOException {
        // Native memory for the opaque structs and the string arrays, held (reachable) until posix_spawnp returns.
        ByteBuffer mem = ByteBuffer.allocateDirect(4 * SpawnLibc.OPAQUE_SIZE);
        long base = Libc.address(mem);
        long fa = base;
        long attr = base + SpawnLibc.OPAQUE_SIZE;
        long empty = base + 2L * SpawnLibc.OPAQUE_SIZE;
        long full = base + 3L * SpawnLibc.OPAQUE_SIZE;
        ByteBuffer argv = cStrings(command.toArray(new String[0]));
        ByteBuffer envp = cStrings(env);
        check("posix_spawn_file_actions_init", SpawnLibc.posix_spawn_file_actions_init(fa));
        try {
            check("posix_spawnattr_init", SpawnLibc.posix_spawnattr_init(attr));
            try {
                int maxFd = 2;
                for (Map.Entry<Integer, Integer> e : targetToSource.entrySet()) {
                    maxFd = Math.max(maxFd, Math.max(e.getKey(), e.getValue()));
                }
                int maxTarget = targetToSource.isEmpty() ? 2 : Math.max(2, Collections.max(targetToSource.keySet()));
                // Move every source above all numbers first, so no dup2 overwrites a source still needed.
                int tmp = maxFd + 1;
                Map<Integer, Integer> targetToTmp = new TreeMap<>();
                for (Map.Entry<Integer, Integer> e : targetToSource.entrySet()) {
                    check("adddup2", SpawnLibc.posix_spawn_file_actions_adddup2(fa, e.getValue(), tmp));
                    targetToTmp.put(e.getKey(), tmp++);
                }
                for (int fd = 0; fd <= maxTarget; fd++) {
                    Integer t = targetToTmp.get(fd);
                    if (t != null) {
                        check("adddup2", SpawnLibc.posix_spawn_file_actions_adddup2(fa, t, fd));
                    } else if (fd <= 2) {
                        if (devNull) {
                            check("addopen", SpawnLibc.posix_spawn_file_actions_addopen(fa, fd, "/dev/null", SpawnLibc.O_RDWR, 0));
                        }
                    } else {
                        check("addclose", SpawnLibc.posix_spawn_file_actions_addclose(fa, fd));
                    }
                }
                int rc = SpawnLibc.addCloseFrom(fa, maxTarget + 1);
                if (rc == -1) {
                    // No closefrom in this libc: close what is open now. A descriptor opened by another
                    // thread after this listing could slip through if it lacks close-on-exec.
                    for (int fd : openDescriptors()) {
                        if (fd > maxTarget) {
                            check("addclose", SpawnLibc.posix_spawn_file_actions_addclose(fa, fd));
                        }
                    }
                    for (int t = maxFd + 1; t < tmp; t++) {
                        check("addclose", SpawnLibc.posix_spawn_file_actions_addclose(fa, t));
                    }
                } else {
                    check("addclosefrom_np", rc);
                }
                SpawnLibc.sigemptyset(empty);
                SpawnLibc.sigfillset(full);
                check("setsigmask", SpawnLibc.posix_spawnattr_setsigmask(attr, empty));
                check("setsigdefault", SpawnLibc.posix_spawnattr_setsigdefault(attr, full));
                check("setflags", SpawnLibc.posix_spawnattr_setflags(attr,
                        (short) (SpawnLibc.POSIX_SPAWN_SETSIGMASK | SpawnLibc.POSIX_SPAWN_SETSIGDEF)));
                int[] pid = new int[1];
                rc = SpawnLibc.posix_spawnp(pid, command.get(0), fa, attr, Libc.address(argv), Libc.address(envp));
                java.lang.ref.Reference.reachabilityFence(argv);
                java.lang.ref.Reference.reachabilityFence(envp);
                if (rc != 0) {
                    throw new IOException("posix_spawnp " + command.get(0) + ": " + Errno.name(rc) + " (" + Errno.describe(rc) + ")");
                }
                return pid[0];
            } finally {
                SpawnLibc.posix_spawnattr_destroy(attr);
            }
        } finally {
            SpawnLibc.posix_spawn_file_actions_destroy(fa);
            java.lang.ref.Reference.reachabilityFence(mem);
        }
    }

    /**
     * A NULL-terminated array of pointers to NUL-terminated UTF-8 strings, in one direct buffer: the pointers
     * first, then the characters. The buffer must stay reachable while the array is in use.
     */
    public static ByteBuffer cStrings(String[] strings) {
        byte[][] bytes = new byte[strings.length][];
        int size = (strings.length + 1) * 8;
        for (int i = 0; i < strings.length; i++) {
            bytes[i] = strings[i].getBytes(StandardCharsets.UTF_8);
            size += bytes[i].length + 1;
        }
        ByteBuffer b = ByteBuffer.allocateDirect(size).order(ByteOrder.nativeOrder());
        long base = Libc.address(b);
        int at = (strings.length + 1) * 8;
        for (int i = 0; i < strings.length; i++) {
            b.putLong(i * 8, base + at);
            b.put(at, bytes[i]);
            b.put(at + bytes[i].length, (byte) 0);
            at += bytes[i].length + 1;
        }
        b.putLong(strings.length * 8, 0L);
        return b;
    }

    private static void check(String call, int rc) throws IOException {
        if (rc != 0) {
            throw new IOException("posix_spawn_" + call + ": " + Errno.name(rc) + " (" + Errno.describe(rc) + ")");
        }
    }

    static List<Integer> openDescriptors() throws IOException {
        Path dir = Paths.get(Os.LINUX ? "/proc/self/fd" : "/dev/fd");
        List<Integer> fds = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.forEach(p -> fds.add(Integer.parseInt(p.getFileName().toString())));
        }
        return fds;
    }

}
