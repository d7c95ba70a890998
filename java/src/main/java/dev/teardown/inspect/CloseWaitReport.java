package dev.teardown.inspect;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One socket of this process that {@link CloseWaitWatch} found in CLOSE_WAIT for longer than its threshold:
 * the peer has closed, and this process still holds the socket without closing it. Built from the sock_diag
 * table entry, this process's {@code /proc/self/fd}, a {@code /proc/*}{@code /fd} scan for other holders,
 * and {@link AllocationSites} when tracking is on.
 */
public final class CloseWaitReport {
    private final TcpEntry entry;
    private final List<Integer> fds;
    private final Instant firstSeen;
    private final Duration age;
    private final List<SocketOwners.Holder> otherHolders;
    private final int unreadableProcesses;
    private final Throwable site;

    CloseWaitReport(TcpEntry entry, List<Integer> fds, Instant firstSeen, Duration age,
            List<SocketOwners.Holder> otherHolders, int unreadableProcesses, Throwable site) {
        this.entry = entry;
        this.fds = List.copyOf(fds);
        this.firstSeen = firstSeen;
        this.age = age;
        this.otherHolders = List.copyOf(otherHolders);
        this.unreadableProcesses = unreadableProcesses;
        this.site = site;
    }

    /** The table entry when the report was made. */
    public TcpEntry entry() {
        return entry;
    }

    /** The local address and port. */
    public InetSocketAddress local() {
        return entry.local();
    }

    /** The peer's address and port: the side that closed. */
    public InetSocketAddress remote() {
        return entry.remote();
    }

    /** The socket's inode. */
    public long inode() {
        return entry.inode();
    }

    /** This process's descriptor numbers for the socket. */
    public List<Integer> fds() {
        return fds;
    }

    /** When the watch first saw the socket in CLOSE_WAIT (at most one interval after it got there). */
    public Instant firstSeen() {
        return firstSeen;
    }

    /** How long the socket has been seen in CLOSE_WAIT, measured from {@link #firstSeen()}. */
    public Duration age() {
        return age;
    }

    /** Descriptors in other processes that refer to the socket (inherited by a child, passed over a socket). */
    public List<SocketOwners.Holder> otherHolders() {
        return otherHolders;
    }

    /** Processes whose descriptors could not be read while looking for other holders. */
    public int unreadableProcesses() {
        return unreadableProcesses;
    }

    /**
     * True if the application has already read the end of stream (a read returned -1) and still not closed;
     * false if it has not even read that far. The kernel counts the peer's FIN as one byte of the receive
     * queue until the end of stream is read.
     */
    public boolean eofRead() {
        return entry.receiveQueue() == 0;
    }

    /**
     * Where the socket was opened, if teardown created it while {@link AllocationSites} tracking was on.
     */
    public Optional<Throwable> allocationSite() {
        return Optional.ofNullable(site);
    }

    /** One line: addresses, age, descriptors, other holders, and the first frame of the allocation site. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("CLOSE_WAIT for ").append(age.toMillis()).append(" ms: ")
                .append(TcpEntry.format(local())).append(" <- ").append(TcpEntry.format(remote()))
                .append(" (peer closed, this process has not; fd ").append(fds.size() == 1 ? fds.get(0).toString() : fds.toString())
                .append(", inode ").append(inode()).append(", ")
                .append(eofRead() ? "end of stream already read, close() never called)"
                        : (entry.receiveQueue() - 1) + " bytes and the end of stream unread)");
        SocketOwners.describe(otherHolders, unreadableProcesses).ifPresent(s -> b.append("; ").append(s));
        if (site != null) {
            StackTraceElement[] st = site.getStackTrace();
            b.append("; opened at ").append(st.length > 0 ? firstOutside(st) : "?");
        } else if (!AllocationSites.isEnabled()) {
            b.append("; allocation tracking is off (AllocationSites.enable())");
        }
        return b.toString();
    }

    /** The first frame outside teardown's own classes: the caller that opened the socket. */
    private static StackTraceElement firstOutside(StackTraceElement[] st) {
        for (StackTraceElement e : st) {
            if (!isLibrary(e.getClassName())) {
                return e;
            }
        }
        return st[0];
    }

    /** True for a class of this library (same code source as this class), not an application class. */
    private static boolean isLibrary(String className) {
        if (!className.startsWith("dev.teardown.")) {
            return false;
        }
        try {
            Class<?> c = Class.forName(className, false, CloseWaitReport.class.getClassLoader());
            return Objects.equals(c.getProtectionDomain().getCodeSource(),
                    CloseWaitReport.class.getProtectionDomain().getCodeSource());
        } catch (ClassNotFoundException | SecurityException | LinkageError e) {
            return true;
        }
    }
}
