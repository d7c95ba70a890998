package dev.teardown.inspect;

import dev.teardown.internal.SocketSites;
import java.util.Optional;
import java.util.Set;

/**
 * Where sockets were opened: a registry from socket inode to the stack captured when teardown created the
 * socket, for {@link CloseWaitWatch} to name the code that leaked a CLOSE_WAIT. Off by default, because
 * capturing a stack costs microseconds per socket; while off, teardown's bookkeeping costs one volatile read per
 * socket. Keyed by inode (read from {@code /proc/self/fd/N}), which, unlike a descriptor number, is never reused
 * while the socket lives. teardown records and forgets its own sockets; {@link #record(long, Throwable)} adds
 * others (a JDK or Netty socket).
 */
public final class AllocationSites {
    private AllocationSites() {}

    /** Starts recording sites for sockets created from now on. */
    public static void enable() {
        SocketSites.enable();
    }

    /** Stops recording and forgets every site recorded so far. */
    public static void disable() {
        SocketSites.disable();
    }

    /** True while sites are recorded. */
    public static boolean isEnabled() {
        return SocketSites.isEnabled();
    }

    /** Records {@code site} as where socket {@code inode} was opened. Does nothing while disabled. */
    public static void record(long inode, Throwable site) {
        SocketSites.record(inode, site);
    }

    /** Forgets the site of socket {@code inode}. */
    public static void forget(long inode) {
        SocketSites.forget(inode);
    }

    /** The recorded site of socket {@code inode}, if any. */
    public static Optional<Throwable> siteOf(long inode) {
        return SocketSites.siteOf(inode);
    }

    /** How many sites are recorded. */
    public static int size() {
        return SocketSites.size();
    }

    /**
     * Drops sites of sockets no longer open in this process: those recorded before {@code scanStartNanos}
     * whose inode is not in {@code open} (a socket closed without being forgotten).
     */
    static void retainOpen(Set<Long> open, long scanStartNanos) {
        SocketSites.retainOpen(open, scanStartNanos);
    }
}
