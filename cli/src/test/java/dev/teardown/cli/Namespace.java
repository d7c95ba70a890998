package dev.teardown.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private network namespace held by an {@code unshare -n sleep} process, loopback up; commands run in it
 * through {@code nsenter}. Needs root.
 */
final class Namespace implements AutoCloseable {
    private final Process holder;
    final String path;

    Namespace() throws Exception {
        holder = new ProcessBuilder("unshare", "-n", "sleep", "600").start();
        path = "/proc/" + holder.pid() + "/ns/net";
        // unshare execs sleep once the namespace exists: wait until the process's namespace differs from ours
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (java.nio.file.Files.readSymbolicLink(java.nio.file.Paths.get(path))
                .equals(java.nio.file.Files.readSymbolicLink(java.nio.file.Paths.get("/proc/self/ns/net")))) {
            if (System.nanoTime() > end) {
                throw new IOException("unshare -n did not make a namespace");
            }
            Thread.sleep(10);
        }
        run("ip", "link", "set", "lo", "up");
    }

    /** The command, inside the namespace. */
    List<String> in(String... cmd) {
        List<String> full = new ArrayList<>(List.of("nsenter", "--net=" + path));
        full.addAll(List.of(cmd));
        return full;
    }

    /** Runs a command in the namespace and returns its stdout; fails on a non-zero exit. */
    String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(in(cmd)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: exit " + (p.isAlive() ? "timeout" : p.exitValue()));
        }
        return out;
    }

    @Override
    public void close() {
        holder.destroyForcibly();
    }
}
