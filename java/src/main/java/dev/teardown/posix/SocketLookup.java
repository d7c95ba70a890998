package dev.teardown.posix;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Finds the descriptor number of a connected TCP socket this process holds, from its two addresses alone,
 * without reflection into the JDK: sock_diag gives the socket's inode, and {@code /proc/self/fd} the number
 * whose link reads {@code socket:[inode]}. When sock_diag cannot see the socket (it lives in another network
 * namespace than the calling thread), every socket descriptor of the process is compared by
 * getsockname/getpeername instead. Reads only; Linux only.
 */
public final class SocketLookup {
    private SocketLookup() {}

    /**
     * A descriptor number and the inode of the socket it named when found. {@code shared}: other numbers of this
     * process name the same socket (a dup), so this one may be closed by another holder while the socket lives on:
     * a caller re-checks {@link #inodeOf(int)} after each use.
     */
    public record Found(int fd, long inode, boolean shared) {}

    private static final Path SELF_FD = Paths.get("/proc/self/fd");

    /**
     * The descriptor in this process whose socket has these addresses, or null if none was found (the socket
     * is closed, belongs to another process, or this is not Linux). If several descriptors refer to the same
     * socket (a dup), the first one listed is returned, marked {@link Found#shared()}.
     */
    public static Found find(InetSocketAddress local, InetSocketAddress remote) {
        if (!Os.LINUX || local == null || remote == null || local.isUnresolved() || remote.isUnresolved()) {
            return null;
        }
        long inode = inodeByDiag(local, remote);
        if (inode > 0) {
            Found f = byInode(inode);
            if (f != null) {
                return f;
            }
        }
        return byAddresses(local, remote);
    }

    /** The inode of the socket behind {@code /proc/self/fd/fd}; 0 if the number names no socket now. */
    public static long inodeOf(int fd) {
        try {
            return parse(Files.readSymbolicLink(SELF_FD.resolve(Integer.toString(fd))).toString());
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static long inodeByDiag(InetSocketAddress local, InetSocketAddress remote) {
        byte[] l = local.getAddress().getAddress();
        byte[] r = remote.getAddress().getAddress();
        if (l.length != r.length) {
            return 0;
        }
        try (SockDiag diag = SockDiag.open()) {
            SockDiag.Record rec = new SockDiag.Record();
            if (l.length == 4 && diag.lookup(Os.AF_INET, l, local.getPort(), r, remote.getPort(), rec)) {
                return rec.inode;
            }
            // the JDK's sockets are IPv6 (v4-mapped) by default
            byte[] l6 = l.length == 4 ? mapped(l) : l;
            byte[] r6 = r.length == 4 ? mapped(r) : r;
            return diag.lookup(Os.AF_INET6, l6, local.getPort(), r6, remote.getPort(), rec) ? rec.inode : 0;
        } catch (SockDiag.Failure f) {
            return 0;
        }
    }

    private static Found byInode(long inode) {
        String want = "socket:[" + inode + "]";
        int first = -1;
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(SELF_FD)) {
            for (Path p : fds) {
                try {
                    if (Files.readSymbolicLink(p).toString().equals(want)) {
                        int fd = Integer.parseInt(p.getFileName().toString());
                        if (first >= 0) {
                            return new Found(first, inode, true);
                        }
                        first = fd;
                    }
                } catch (IOException | NumberFormatException e) {
                    // closed meanwhile, or not a number: not ours
                }
            }
        } catch (IOException e) {
            return null;
        }
        return first < 0 ? null : new Found(first, inode, false);
    }

    private static Found byAddresses(InetSocketAddress local, InetSocketAddress remote) {
        Found first = null;
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(SELF_FD)) {
            for (Path p : fds) {
                int fd;
                long inode;
                try {
                    fd = Integer.parseInt(p.getFileName().toString());
                    inode = parse(Files.readSymbolicLink(p).toString());
                } catch (IOException | NumberFormatException e) {
                    continue;
                }
                if (inode <= 0) {
                    continue;
                }
                if (first != null) {
                    if (inode == first.inode()) {
                        return new Found(first.fd(), inode, true);
                    }
                    continue;
                }
                // getsockname/getpeername only read; the link is read again afterwards so that a number
                // closed and reused between the two reads is not mistaken for the socket.
                if (local.equals(name(fd, false)) && remote.equals(name(fd, true)) && inodeOf(fd) == inode) {
                    first = new Found(fd, inode, false);
                }
            }
        } catch (IOException e) {
            return null;
        }
        return first;
    }

    private static InetSocketAddress name(int fd, boolean peer) {
        byte[] sa = new byte[Sockaddr.MAX_LEN];
        int[] len = {sa.length};
        int r = peer ? Libc.getpeername(fd, sa, len) : Libc.getsockname(fd, sa, len);
        if (r < 0) {
            return null;
        }
        // a v4-mapped address decodes to its IPv4 form (InetAddress.getByAddress), as the JDK reports it
        return Sockaddr.decode(sa, len[0]);
    }

    private static long parse(String link) {
        if (!link.startsWith("socket:[") || !link.endsWith("]")) {
            return 0;
        }
        return Long.parseLong(link, 8, link.length() - 1, 10);
    }

    private static byte[] mapped(byte[] v4) {
        byte[] m = new byte[16];
        m[10] = (byte) 0xff;
        m[11] = (byte) 0xff;
        System.arraycopy(v4, 0, m, 12, 4);
        return m;
    }
}
