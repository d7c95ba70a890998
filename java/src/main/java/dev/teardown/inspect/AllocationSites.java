package dev.teardown.inspect;

import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where sockets were opened: a registry from socket inode to the stack captured when teardown created the
 * socket, for {@link CloseWaitWatch} to name the code that leaked a CLOSE_WAIT. Off by default, because
 * capturing a stack costs microseconds per socket; while off, {@link #record(int)} and {@link #forget(int)}
 * cost one volatile read. Keyed by inode (read from {@code /proc/self/fd/N}), which, unlike a descriptor
 * number, is never reused while the socket lives.
 */
public final class AllocationSites {
    private AllocationSites() {}

    private record Site(Throwable stack, long recordedNanos) {}

    private static volatile boolean enabled;
    private static final ConcurrentHashMap<Long, Site> SITES = new ConcurrentHashMap<>();

    /** Starts recording sites for sockets created from now on. */
    public static void enable() {
        enabled = true;
    }

    /** Stops recording and forgets every site recorded so far. */
    public static void disable() {
        enabled = false;
        SITES.clear();
    }

    /** True while sites are recorded. */
    public static boolean isEnabled() {
        return enabled;
    }

    /**
     * Records the current stack as the site where the socket behind this process's descriptor {@code fd} was
     * opened. Call it right after creating the socket, while {@code fd} is open. Does nothing while disabled.
     */
    public static void record(int fd) {
        if (!enabled) {
            return;
        }
        OptionalLong inode = SocketOwners.inodeOf(fd);
        if (inode.isPresent()) {
            record(inode.getAsLong(), new Throwable("socket opened here, on thread " + Thread.currentThread().getName()));
        }
    }

    /** Records {@code site} as where socket {@code inode} was opened. Does nothing while disabled. */
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
        OptionalLong inode = SocketOwners.inodeOf(fd);
        if (inode.isPresent()) {
            SITES.remove(inode.getAsLong());
        }
    }

    /** Forgets the site of socket {@code inode}. */
    public static void forget(long inode) {
        SITES.remove(inode);
    }

    /** The recorded site of socket {@code inode}, if any. */
    public static Optional<Throwable> siteOf(long inode) {
        Site s = SITES.get(inode);
        return s == null ? Optional.empty() : Optional.of(s.stack);
    }

    /** How many sites are recorded. */
    public static int size() {
        return SITES.size();
    }

    /**
     * Drops sites of sockets no longer open in this process: those recorded before {@code scanStartNanos}
     * whose inode is not in {@code open} (a socket closed without {@link #forget}).
     */
    static void retainOpen(Set<Long> open, long scanStartNanos) {
        if (SITES.isEmpty()) {
            return;
        }
        SITES.entrySet().removeIf(e -> !open.contains(e.getKey()) && e.getValue().recordedNanos - scanStartNanos < 0);
    }
}
