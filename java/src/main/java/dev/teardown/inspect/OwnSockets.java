package dev.teardown.inspect;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * This process's sockets, whoever opened them (teardown, JDK channels, Netty...): the descriptors in
 * {@code /proc/self/fd} whose link reads {@code socket:[inode]}, by inode.
 */
final class OwnSockets {
    private OwnSockets() {}

    private static final Path SELF_FD = Paths.get("/proc/self/fd");

    /** Inode to this process's descriptor numbers for it. */
    static Map<Long, List<Integer>> inodes() {
        Map<Long, List<Integer>> out = new HashMap<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(SELF_FD)) {
            for (Path p : fds) {
                String link;
                try {
                    link = Files.readSymbolicLink(p).toString();
                } catch (IOException e) {
                    continue; // closed meanwhile (or the directory stream's own descriptor)
                }
                long ino = SocketOwners.parseSocketLink(link);
                if (ino > 0) {
                    out.computeIfAbsent(ino, k -> new ArrayList<>(1)).add(Integer.parseInt(p.getFileName().toString()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list /proc/self/fd", e);
        }
        return out;
    }
}
