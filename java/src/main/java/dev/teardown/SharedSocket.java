package dev.teardown;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Paths;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the descriptors of one kernel socket that teardown knows about share: how many are open, and
 * the socket-wide facts teardown has set (output shut down, SO_LINGER zero). Its monitor orders the last
 * closes of the socket's descriptors, so that the one that really is last knows it.
 */
final class SharedSocket {
    final AtomicInteger references = new AtomicInteger(1);
    volatile boolean outputShutdown;
    volatile boolean inputShutdown;
    volatile boolean lingerZero;
    /**
     * The socket's number was handed out (TcpSocket.fd(), a child): code teardown does not see may have set a socket
     * option on it (SO_RCVLOWAT), so the close reads FIONREAD rather than trust poll(2)'s POLLIN.
     */
    volatile boolean numberExposed;
    /** Pids of live children teardown handed this socket to; each holds one of the references. Made on first use. */
    private volatile Set<Long> children;

    void childStarted(long pid) {
        Set<Long> c = children;
        if (c == null) {
            synchronized (this) {
                c = children;
                if (c == null) {
                    children = c = ConcurrentHashMap.newKeySet();
                }
            }
        }
        references.incrementAndGet();
        c.add(pid);
    }

    /** Under the monitor, so that {@link #othersAlive} never sees the pid gone and its reference still counted. */
    synchronized void childExited(long pid) {
        children.remove(pid);
        references.decrementAndGet();
    }

    /**
     * For a close that found its handle already closed: the references left besides that handle, whose own close
     * may still be running (its reference is not counted, as the winner's outcome will not count it).
     */
    synchronized int referencesBesides(Descriptor d) {
        return Math.max(0, references.get() - (d.released() ? 0 : 1));
    }

    /** The children's pids, "42, 43", or null if none. */
    String childPids() {
        Set<Long> c = children;
        if (c == null || c.isEmpty()) {
            return null;
        }
        return c.toString().replaceAll("[\\[\\]]", "");
    }

    /**
     * References other than the caller's that still hold the socket: the count, less children that have exited
     * but whose reaper has not yet dropped their reference (a zombie holds no descriptors). Call holding this
     * monitor.
     */
    int othersAlive() {
        int others = references.get() - 1;
        Set<Long> c = children;
        if (c != null) {
            for (Long pid : c) {
                if (hasExited(pid)) {
                    others--;
                }
            }
        }
        return Math.max(0, others);
    }

    /** A child not yet reaped by its reaper cannot have had its pid reused: /proc says whether it still runs. */
    private static boolean hasExited(long pid) {
        try {
            String stat = Files.readString(Paths.get("/proc/" + pid + "/stat"));
            int paren = stat.lastIndexOf(')');
            return paren > 0 && paren + 2 < stat.length() && stat.charAt(paren + 2) == 'Z';
        } catch (NoSuchFileException e) {
            return true;
        } catch (IOException e) {
            // A child reaped while its stat is read fails the read with ESRCH ("No such process"), not
            // NoSuchFileException: it has exited if its /proc entry is gone.
            return !Files.exists(Paths.get("/proc/" + pid));
        } catch (RuntimeException e) {
            return false;
        }
    }
}
