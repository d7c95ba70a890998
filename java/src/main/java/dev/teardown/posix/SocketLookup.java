package dev.teardown.posix;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * The inode of the socket behind one of this process's descriptor numbers, from {@code /proc/self/fd}: what
 * {@code SocketOwners} needs to name every holder of a socket. Reads only; Linux only.
 */
public final class SocketLookup {
    private SocketLookup() {}

    private static final Path SELF_FD = Paths.get("/proc/self/fd");

    /** The inode of the socket behind {@code /proc/self/fd/fd}; 0 if the number names no socket now. */
    public static long inodeOf(int fd) {
        try {
            return parse(Files.readSymbolicLink(SELF_FD.resolve(Integer.toString(fd))).toString());
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static long parse(String link) {
        if (!link.startsWith("socket:[") || !link.endsWith("]")) {
            return 0;
        }
        return Long.parseLong(link, 8, link.length() - 1, 10);
    }
}
