package dev.teardown.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The registry behind {@code dev.teardown.inspect.AllocationSites}: socket inode to the stack captured when teardown
 * created the socket. The core records and forgets; inspect reads. While off, {@link #record(int)} and
 * {@link #forget(int)} cost one volatile read. Keyed by inode (from {@code /proc/self/fd/N}), which, unlike a
 * descriptor number, is never reused while the socket lives.
 */
public final class SocketSites {
    private SocketSites() {}

    private record Site(Throwable stack, long recordedNanos) {}

    private static volatile boolean enabled;
    private static final ConcurrentHashMap<Long, Site> SITES = new ConcurrentHashMap<>();

    public static void enable() {
        enabled = true;
    }

    public static void disable() {
        enabled = false;
        SITES.clear();
    }

    public static boolean isEnabled() {
        return enabled;
    }

    /** Records the current stack for the socket behind descriptor {@code fd} (open). Nothing while disabled. */
    public static void record(int fd) {
        if (!enabled) {
            return;
        }
        OptionalLong inode = inodeOf(fd);
        if (inode.isPresent()) {
            record(inode.getAsLong(), new Throwable("socket opened here, on thread " + Thread.currentThread().getName()));
        }
    }

    public static void record(long inode, Throwable site) {
        if (enabled && inode > 0 && site != null) {
            SITES.put(inode, new Site(site, System.nanoTime()));
        }
    }

    /** Forgets the site of the socket behind descriptor {@code fd}; call it before the descriptor is closed. */
    public static void forget(int fd) {
        if (SITES.isEmpty()) {
            return;
        }
        OptionalLong inode = inodeOf(fd);
        if (inode.isPresent()) {
            SITES.remove(inode.getAsLong());
        }
    }

    public static void forget(long inode) {
        SITES.remove(inode);
    }

    public static Optional<Throwable> siteOf(long inode) {
        Site s = SITES.get(inode);
        return s == null ? Optional.empty() : Optional.of(s.stack);
    }

    public static int size() {
        return SITES.size();
    }

    /** Drops sites recorded before {@code scanStartNanos} whose inode is not in {@code open}. */
    public static void retainOpen(Set<Long> open, long scanStartNanos) {
        if (SITES.isEmpty()) {
            return;
        }
        SITES.entrySet().removeIf(e -> !open.contains(e.getKey()) && e.getValue().recordedNanos - scanStartNanos < 0);
    }

    /**
     * The inode of the socket behind this process's descriptor {@code fd}, from the link {@code /proc/self/fd/fd}
     * ({@code socket:[inode]}). Empty if {@code fd} is not open or not a socket.
     */
    public static OptionalLong inodeOf(int fd) {
        try {
            long inode = parseSocketLink(Files.readSymbolicLink(Paths.get("/proc/self/fd/" + fd)).toString());
            return inode > 0 ? OptionalLong.of(inode) : OptionalLong.empty();
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** The inode in a link "socket:[inode]", or -1 if it names no socket. */
    public static long parseSocketLink(String link) {
        if (!link.startsWith("socket:[") || !link.endsWith("]")) {
            return -1;
        }
        return Long.parseLong(link, 8, link.length() - 1, 10);
    }
}
