package dev.teardown;

import dev.teardown.posix.Buffers;
import dev.teardown.posix.Errno;
import dev.teardown.posix.Libc;
import dev.teardown.posix.Os;
import dev.teardown.CloseOutcome.Sent;
import dev.teardown.inspect.AllocationSites;
import dev.teardown.inspect.SocketOwners;
import dev.teardown.inspect.TeardownJfr;
import dev.teardown.posix.Sockaddr;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs a close mode's system calls on a descriptor the calling thread has to itself (every other call
 * on it has left). Ends with exactly one close(2), whatever fails before it.
 */
final class Closer {
    private Closer() {}

    /**
     * Whether a last-reference RELEASE spends one fcntl(F_GETFD) to notice a descriptor that lost close-on-exec
     * (and so may live on in a child teardown does not know about). On unless the system property
     * {@code dev.teardown.foreignHolderCheck} is {@code false}; allocation tracking checks regardless.
     */
    private static final boolean FOREIGN_HOLDER_CHECK = !"false".equals(System.getProperty("dev.teardown.foreignHolderCheck"));

    private static final String GRACEFUL_NOTHING_DRAINED = "FIN sent, peer's FIN received after draining 0 bytes";
    private static final String GRACEFUL_NOTHING_DRAINED_EARLIER =
            "FIN had been sent by shutdownOutput, peer's FIN received after draining 0 bytes";
    /** "all data acknowledged; FIN sent with SO_LINGER {1,t}" for small t, built once each. */
    private static final String[] LINGER_DETAIL = new String[256];

    static CloseOutcome close(Descriptor d, SharedSocket shared, CloseMode mode, long startNanos, InetSocketAddress remote) {
        boolean jfr = TeardownJfr.closeEventsEnabled(); // a volatile read unless a recording is on
        InetSocketAddress local = jfr ? localAddress(d.fd) : null;
        boolean last = shared.references.get() == 1;
        if (last) {
            AllocationSites.forget(d.fd); // nothing to do unless allocation tracking is on
        }
        CloseOutcome o = apply(d, shared, mode, last, startNanos, remote);
        if (jfr) {
            TeardownJfr.closed(o, local, remote);
        }
        return o;
    }

    private static CloseOutcome apply(Descriptor d, SharedSocket shared, CloseMode mode, boolean last, long startNanos,
            InetSocketAddress remote) {
        int fd = d.fd;
        switch (mode.kind()) {
            case RELEASE:
                return release(d, shared, mode, last, startNanos, remote);
            case SHUTDOWN:
                return shutdown(d, shared, mode, last, startNanos);
            case ABORT:
                return abort(d, shared, mode, last, 0, false, false, startNanos);
            case GRACEFUL:
                return graceful(d, shared, mode, last, startNanos);
            case LINGER:
                return linger(d, shared, mode, last, startNanos);
            default:
                throw new AssertionError(mode);
        }
    }

    private static CloseOutcome release(Descriptor d, SharedSocket shared, CloseMode mode, boolean last, long start,
            InetSocketAddress remote) {
        int unread = last ? unread(d.fd) : 0;
        // teardown's count says this is the last reference. A descriptor teardown does not know about can only
        // exist if someone cleared close-on-exec (and a child inherited it) or dup'ed the number behind our back;
        // look for holders then, or when allocation tracking asks for diagnostics. One fcntl otherwise.
        long inode = 0;
        InetSocketAddress local = null;
        if (last && remote != null && (AllocationSites.isEnabled() || (FOREIGN_HOLDER_CHECK && !closeOnExec(d.fd)))) {
            inode = SocketOwners.inodeOf(d.fd).orElse(0);
            local = localAddress(d.fd);
        }
        int left = finish(d, shared);
        if (inode == 0 && left == 0 && unread == 0 && !shared.lingerZero && !shared.outputShutdown) {
            // the common case, kept small so that callers can inline the whole close
            return outcome(mode, Sent.FIN, 0, 0, false, false, 0, start, "FIN sent: last reference closed");
        }
        return released(shared, mode, left, unread, start, inode, local, remote);
    }

    private static CloseOutcome released(SharedSocket shared, CloseMode mode, int left, int unread, long start, long inode,
            InetSocketAddress local, InetSocketAddress remote) {
        if (inode > 0 && left == 0) {
            Optional<String> held = SocketOwners.stillHeldAfterClose(inode, local, remote);
            if (held.isPresent()) {
                return outcome(mode, Sent.NOTHING, 0, 0, false, false, 0, start, "FIN not sent: " + held.get()
                        + " (a descriptor teardown did not create: close-on-exec was cleared, or the number was dup'ed)");
            }
        }
        if (left > 0) {
            return outcome(mode, Sent.NOTHING, left, 0, false, false, 0, start,
                    "FIN not sent: " + left + " other reference" + (left == 1 ? "" : "s") + " still open" + children(shared));
        }
        boolean finBefore = shared.outputShutdown;
        if (shared.lingerZero) {
            return outcome(mode, finBefore ? Sent.FIN_THEN_RST : Sent.RST, 0, 0, false, false, unread, start,
                    "RST sent: SO_LINGER was set to zero");
        }
        if (unread > 0) {
            return outcome(mode, finBefore ? Sent.FIN_THEN_RST : Sent.RST, 0, 0, false, false, unread, start,
                    "RST sent instead of FIN: " + unread + " unread bytes were discarded");
        }
        if (finBefore) {
            return outcome(mode, Sent.NOTHING, 0, 0, false, false, 0, start, "FIN had already been sent by shutdownOutput");
        }
        return outcome(mode, Sent.FIN, 0, 0, false, false, 0, start, "FIN sent: last reference closed");
    }

    private static CloseOutcome shutdown(Descriptor d, SharedSocket shared, CloseMode mode, boolean last, long start) {
        int fd = d.fd;
        // ENOTCONN: the kernel already ended the connection (a reset); nothing is sent
        boolean finBefore = shared.outputShutdown;
        boolean ended = Libc.shutdown(fd, Os.SHUT_RDWR) < 0 && Libc.errno() == Errno.ENOTCONN && !finBefore;
        boolean finNow = !finBefore && !ended;
        shared.outputShutdown = true;
        shared.inputShutdown = true;
        int unread = last ? unread(fd) : 0;
        int left = finish(d, shared);
        if (unread == 0 && finNow && left == 0) {
            // the common case, without building a string
            return outcome(mode, Sent.FIN, 0, 0, false, false, 0, start, "FIN sent by shutdown(SHUT_RDWR)");
        }
        Sent sent = unread > 0 ? Sent.FIN_THEN_RST : finNow ? Sent.FIN : Sent.NOTHING;
        String detail = unread > 0 ? "FIN sent by shutdown, then RST: " + unread + " unread bytes were discarded"
                : finNow ? "FIN sent by shutdown(SHUT_RDWR)" + others(left)
                : ended ? ALREADY_ENDED : "FIN had already been sent by shutdownOutput";
        return outcome(mode, sent, left, 0, false, false, unread, start, detail);
    }

    private static CloseOutcome abort(Descriptor d, SharedSocket shared, CloseMode mode, boolean last, long drained,
            boolean deadline, boolean limit, long start) {
        Libc.setsockopt(d.fd, Os.SOL_SOCKET, Os.SO_LINGER, Buffers.cell().putInts(1, 0), 8); // struct linger {1, 0}
        shared.lingerZero = true;
        boolean finBefore = shared.outputShutdown;
        int unread = last ? unread(d.fd) : 0;
        int left = finish(d, shared);
        if (left > 0) {
            return abortedNothing(mode, left, drained, deadline, limit, start);
        }
        String why = deadline ? "RST sent: the deadline passed" : limit ? "RST sent: the drain limit was reached"
                : "RST sent by SO_LINGER {1,0}";
        return outcome(mode, finBefore ? Sent.FIN_THEN_RST : Sent.RST, 0, drained, deadline, limit, unread, start, why);
    }

    private static CloseOutcome abortedNothing(CloseMode mode, int left, long drained, boolean deadline, boolean limit,
            long start) {
        return outcome(mode, Sent.NOTHING, left, drained, deadline, limit, 0, start,
                "RST not sent yet: " + left + " other reference" + (left == 1 ? "" : "s")
                        + " still open; SO_LINGER {1,0} stays set, so the last close sends RST");
    }

    private static CloseOutcome graceful(Descriptor d, SharedSocket shared, CloseMode mode, boolean last, long start) {
        int fd = d.fd;
        boolean finNow = !shared.outputShutdown;
        if (finNow) {
            boolean ended = Libc.shutdown(fd, Os.SHUT_WR) < 0 && Libc.errno() == Errno.ENOTCONN;
            shared.outputShutdown = true;
            if (ended) {
                int left = finish(d, shared);
                return outcome(mode, Sent.NOTHING, left, 0, false, false, 0, start, ALREADY_ENDED);
            }
        }
        long deadline = start + mode.timeoutNanos();
        long limit = mode.maxDrainBytes();
        long drained = 0;
        long buf = Buffers.scratchAddress();
        Buffers.Cell pfd = Buffers.cell(); // struct pollfd {fd, POLLIN, revents}, filled before each poll
        for (;;) {
            // One byte past the limit tells "limit reached" from "peer sent more"; never overflow (limit may be
            // Long.MAX_VALUE) and never ask recv for more than the scratch buffer holds.
            long room = limit - drained;
            long want = room >= Buffers.SCRATCH_SIZE ? Buffers.SCRATCH_SIZE : room + 1;
            long n = Libc.recv(fd, buf, want, Os.MSG_DONTWAIT);
            if (n > 0) {
                drained += n;
                if (drained > limit) {
                    return abort(d, shared, mode, last, drained, false, true, start);
                }
                // A peer that keeps the queue full never lets recv say EAGAIN: the deadline must hold anyway.
                if (deadline - System.nanoTime() <= 0) {
                    return abort(d, shared, mode, last, drained, true, false, start);
                }
                continue;
            }
            if (n == 0) {
                int left = finish(d, shared);
                String detail = drained == 0 ? (finNow ? GRACEFUL_NOTHING_DRAINED : GRACEFUL_NOTHING_DRAINED_EARLIER)
                        : (finNow ? "FIN sent" : "FIN had been sent by shutdownOutput") + ", peer's FIN received after draining "
                                + drained + " bytes";
                return outcome(mode, finNow ? Sent.FIN : Sent.NOTHING, left, drained, false, false, 0, start, detail);
            }
            int e = Libc.errno();
            if (e == Errno.EINTR) {
                continue;
            }
            if (e != Errno.EAGAIN) {
                // ECONNRESET and the like: the peer already ended the connection; nothing left to drain.
                int left = finish(d, shared);
                return outcome(mode, finNow ? Sent.FIN : Sent.NOTHING, left, drained, false, false, 0, start,
                        (finNow ? "FIN sent" : "FIN had been sent by shutdownOutput") + "; the drain ended with "
                                + Errno.name(e) + " from the peer");
            }
            long leftNanos = deadline - System.nanoTime();
            if (leftNanos <= 0) {
                return abort(d, shared, mode, last, drained, true, false, start);
            }
            Libc.poll(pfd.putInts(fd, Os.POLLIN), 1, (int) Math.min(Integer.MAX_VALUE, (leftNanos + 999_999) / 1_000_000));
        }
    }

    private static CloseOutcome linger(Descriptor d, SharedSocket shared, CloseMode mode, boolean last, long start) {
        int fd = d.fd;
        if (!last) {
            int left = finish(d, shared);
            return outcome(mode, Sent.NOTHING, left, 0, false, false, 0, start,
                    "nothing sent and nothing awaited: " + left + " other reference" + (left == 1 ? "" : "s") + " still open");
        }
        long deadline = start + mode.timeoutNanos();
        if (Os.SIOCOUTQ >= 0) {
            Buffers.Cell q = Buffers.cell();
            long pause = 50_000;
            for (;;) {
                if (Libc.ioctl(fd, Os.SIOCOUTQ, q.address) < 0 || q.getInt(0) == 0) {
                    break;
                }
                if (endedByKernel(fd)) {
                    // Reset (or timed out) while we waited: the unacknowledged bytes will never be acknowledged,
                    // and nothing is left to send.
                    int unacked = q.getInt(0);
                    int left = finish(d, shared);
                    return outcome(mode, Sent.NOTHING, left, 0, false, false, 0, start,
                            "nothing sent: the connection was reset by the peer (or timed out) before " + unacked
                                    + " bytes were acknowledged");
                }
                long leftNanos = deadline - System.nanoTime();
                if (leftNanos <= 0) {
                    return abort(d, shared, mode, true, 0, true, false, start);
                }
                LockSupport.parkNanos(Math.min(pause, leftNanos));
                pause = Math.min(pause * 2, 10_000_000);
            }
        }
        long leftNanos = Math.max(0, deadline - System.nanoTime());
        int seconds = (int) Math.min(Os.MAX_LINGER_SECONDS, Math.max(1, (leftNanos + 999_999_999L) / 1_000_000_000L));
        Libc.setsockopt(fd, Os.SOL_SOCKET, Os.SO_LINGER, Buffers.cell().putInts(1, seconds), 8);
        boolean finBefore = shared.outputShutdown;
        int unread = unread(fd);
        int left = finish(d, shared);
        if (unread > 0) {
            return outcome(mode, finBefore ? Sent.FIN_THEN_RST : Sent.RST, left, 0, false, false, unread, start,
                    "RST sent instead of FIN: " + unread + " unread bytes were discarded");
        }
        return outcome(mode, finBefore ? Sent.NOTHING : Sent.FIN, left, 0, false, false, 0, start, lingerDetail(seconds));
    }

    private static String lingerDetail(int seconds) {
        if (seconds < 0 || seconds >= LINGER_DETAIL.length) {
            return "all data acknowledged; FIN sent with SO_LINGER {1," + seconds + "}";
        }
        String s = LINGER_DETAIL[seconds]; // a benign race: at worst built twice
        if (s == null) {
            s = "all data acknowledged; FIN sent with SO_LINGER {1," + seconds + "}";
            LINGER_DETAIL[seconds] = s;
        }
        return s;
    }

    private static boolean closeOnExec(int fd) {
        int fl = Libc.fcntl(fd, Os.F_GETFD, 0);
        return fl < 0 || (fl & Os.FD_CLOEXEC) != 0;
    }

    private static InetSocketAddress localAddress(int fd) {
        byte[] sa = new byte[Sockaddr.MAX_LEN];
        int[] len = {sa.length};
        return Libc.getsockname(fd, sa, len) < 0 ? null : Sockaddr.decode(sa, len[0]);
    }

    private static final String ALREADY_ENDED =
            "nothing sent: the connection had already been reset by the peer (or timed out)";

    /**
     * True once the kernel has ended the connection (TCP_CLOSE after an RST from the peer or a timeout): poll
     * reports POLLERR or POLLHUP, and TCP_INFO says CLOSE.
     */
    private static boolean endedByKernel(int fd) {
        int[] pfd = {fd, 0};
        if (Libc.poll(pfd, 1, 0) <= 0 || ((pfd[1] >>> 16) & (Os.POLLERR | Os.POLLHUP)) == 0 || !Os.LINUX) {
            return false;
        }
        byte[] state = new byte[1];
        return Libc.getsockopt(fd, Os.IPPROTO_TCP, Os.TCP_INFO, state, new int[] {1}) == 0 && state[0] == TCP_CLOSE;
    }

    /** TCP_CLOSE in the kernel's state numbering (tcpi_state). */
    private static final int TCP_CLOSE = 7;

    /** Bytes waiting in the receive queue, which make the last close(2) send RST. */
    private static int unread(int fd) {
        Buffers.Cell n = Buffers.cell();
        return Libc.ioctl(fd, Os.FIONREAD, n.address) < 0 ? 0 : n.getInt(0);
    }

    /** The single close(2), then the shared count; returns how many references remain. */
    private static int finish(Descriptor d, SharedSocket shared) {
        d.closeFd();
        return shared.references.decrementAndGet();
    }

    private static String children(SharedSocket shared) {
        return shared.children.isEmpty() ? "" : " (held by child pid " + shared.children.toString().replaceAll("[\\[\\]]", "") + ")";
    }

    private static String others(int left) {
        return left == 0 ? "" : " (" + left + " other reference" + (left == 1 ? "" : "s") + " still open)";
    }

    private static CloseOutcome outcome(CloseMode mode, Sent sent, int left, long drained, boolean deadline, boolean limit,
            int unread, long start, String detail) {
        return new CloseOutcome(mode, sent, left, drained, deadline, limit, unread, System.nanoTime() - start, detail, false);
    }
}
