package dev.teardown.agent.report;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A target JVM in other namespaces (a container's). The Attach API reaches it through its temporary directory
 * ({@code /proc/N/root/tmp}) and by its host pid, whatever its mount and PID namespaces; but the report is read over
 * the JDK's local JMX connector, which listens on the loopback of the target's own network namespace, so the reader
 * runs itself again inside that namespace ({@code nsenter --net=/proc/N/ns/net}, as root), where that loopback is the
 * target's. And the agent jar to load must be a path in the target's own file system. Where it cannot, the message
 * names the namespace and the command.
 */
final class Namespaces {
    /** Set in the reader run inside the target's namespace, so that it does not try again. */
    static final String INSIDE = "TEARDOWN_READER_IN_NETNS";

    /** The target's network namespace, and this reader's. */
    record Foreign(String target, String mine) {}

    private Namespaces() {}

    /** The target's network namespace when it is not this process's; null when it is the same, or unreadable. */
    static Foreign network(long pid) {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc", String.valueOf(pid), "ns", "net")).toString();
            String mine = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
            return target.equals(mine) || System.getenv(INSIDE) != null ? null : new Foreign(target, mine);
        } catch (IOException | SecurityException e) {
            return null; // no such process (reported later), or not allowed to look: try from here
        }
    }

    /** Runs {@code java -cp AGENT_JAR Main ARGS} inside the target's network namespace; returns its exit status. */
    static int runInside(Foreign ns, long pid, Path agentJar, String[] args, PrintStream out, PrintStream err)
            throws AttachRefused {
        String how = "pid " + pid + " is in another network namespace (" + ns.target() + "; this reader is in "
                + ns.mine() + "), whose loopback the report is read over";
        String command = "nsenter --net=/proc/" + pid + "/ns/net java -jar " + agentJar + " " + String.join(" ", args);
        if (!isRoot()) {
            throw new AttachRefused(how + ": run as root (entering it needs CAP_SYS_ADMIN), or run inside it: "
                    + command);
        }
        List<String> cmd = new ArrayList<>(List.of("nsenter", "--net=/proc/" + pid + "/ns/net",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", agentJar.toString(),
                Main.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put(INSIDE, "1");
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new AttachRefused(how + ", and nsenter (util-linux) could not be run (" + e.getMessage()
                    + "): run inside it: " + command);
        }
        try {
            CompletableFuture<Void> e = CompletableFuture.runAsync(() -> copy(p.getErrorStream(), err));
            copy(p.getInputStream(), out);
            e.join();
            int status = p.waitFor();
            return status;
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new AttachRefused("interrupted while reading the report of pid " + pid + " from its namespace");
        }
    }

    private static void copy(InputStream in, PrintStream to) {
        try (in) {
            in.transferTo(to);
            to.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean isRoot() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /**
     * The agent jar as the target JVM can open it: the JVM resolves the path it is given in its own file system, so
     * when that path does not lead it to this file (a JVM in another mount namespace, a container's) the jar is
     * copied into its {@code /tmp} through {@code /proc/N/root}, once per content, readable by all (the JVM may run
     * as another user), and that path is returned.
     */
    static Path visibleTo(long pid, Path agentJar) throws AttachRefused {
        Path root = Path.of("/proc", String.valueOf(pid), "root");
        try {
            Path same = root.resolve(agentJar.toAbsolutePath().toString().substring(1));
            if (Files.exists(same) && Files.isSameFile(same, agentJar)) {
                return agentJar; // the target sees this very file at this path
            }
            byte[] jar = Files.readAllBytes(agentJar);
            String name = "teardown-agent-" + HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(jar), 0, 16) + ".jar";
            Path inside = Path.of("/tmp", name);
            Path there = root.resolve("tmp").resolve(name);
            if (!Files.exists(there, LinkOption.NOFOLLOW_LINKS)) {
                Path tmp = Files.createTempFile(root.resolve("tmp"), "teardown-agent-", ".tmp");
                Files.write(tmp, jar);
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
                Files.move(tmp, there, StandardCopyOption.ATOMIC_MOVE);
            } else if (!Arrays.equals(Files.readAllBytes(there), jar)
                    || Files.isSymbolicLink(there)) {
                throw new AttachRefused(there + " exists and is not this agent jar: remove it, or start the JVM with"
                        + " -javaagent:teardown-agent.jar");
            }
            return inside;
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new AttachRefused("pid " + pid + " sees another file system (a container's) and the agent jar could"
                    + " not be put in its /tmp through " + root + " (" + e.getMessage() + "): copy teardown-agent.jar"
                    + " into it and start the JVM with -javaagent:/path/inside/teardown-agent.jar instead");
        }
    }

    /**
     * True for a JVM with a {@code /tmp} of its own but this PID namespace: the JDK 17 Attach API looks for such a
     * JVM's attach socket in this {@code /tmp} (it goes through {@code /proc/N/root} only when the pid differs in the
     * target's namespace, as in every container), so it cannot answer.
     */
    static boolean privateTmpSharedPids(long pid) {
        Path proc = Path.of("/proc", String.valueOf(pid));
        try {
            boolean sharedPids = Files.readAllLines(proc.resolve("status")).stream()
                    .filter(l -> l.startsWith("NSpid:")).findFirst().map(l -> l.trim().split("\\s+").length == 2)
                    .orElse(true);
            return sharedPids && !Files.isSameFile(proc.resolve("root").resolve("tmp"), Path.of("/tmp"));
        } catch (IOException | SecurityException e) {
            return false;
        }
    }
}
