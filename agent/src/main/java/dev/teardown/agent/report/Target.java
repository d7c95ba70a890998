package dev.teardown.agent.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Checks, before any attach, that a pid is a JVM this user may attach to (the Attach API would signal anything). */
final class Target {
    static final String INSTEAD = "start it with -javaagent:teardown-agent.jar instead";

    private Target() {}

    static void check(long pid) throws AttachRefused {
        Path proc = Path.of("/proc", String.valueOf(pid));
        if (!Files.isDirectory(proc)) {
            throw new AttachRefused("no process " + pid);
        }
        int owner = uid(proc);
        int me = uid(Path.of("/proc/self"));
        if (me != 0 && owner != me) {
            throw new AttachRefused("pid " + pid + " belongs to another user (uid " + owner + "): the JVM accepts an"
                    + " attach only from its own user or root; run this as that user, or " + INSTEAD);
        }
        boolean jvm;
        try (Stream<String> maps = Files.lines(proc.resolve("maps"))) {
            jvm = maps.anyMatch(l -> l.endsWith("/libjvm.so") || l.contains("/libj9vm")); // HotSpot, OpenJ9
        } catch (NoSuchFileException e) {
            throw new AttachRefused("no process " + pid);
        } catch (IOException | RuntimeException e) {
            throw new AttachRefused("cannot read /proc/" + pid + "/maps (" + e.getMessage() + "): is it a JVM of yours?");
        }
        if (!jvm) {
            throw new AttachRefused("pid " + pid + " is not a Java VM (no libjvm.so in it): nothing to attach to;"
                    + " check the pid (jps -l lists your JVMs)");
        }
        if (ModuleLayer.boot().findModule("jdk.attach").isEmpty()) {
            throw new AttachRefused("this Java runtime (" + System.getProperty("java.home") + ") has no jdk.attach"
                    + " module (a JRE): run the report with a JDK's java, or " + INSTEAD);
        }
    }

    /**
     * True when the process has the agent's recorder open (its {@code teardown-agent-rt-*.jar} among its descriptors):
     * it was started with {@code -javaagent:}, or attached to before. False when that cannot be read.
     */
    static boolean carriesAgent(long pid) {
        try (Stream<Path> fds = Files.list(Path.of("/proc", String.valueOf(pid), "fd"))) {
            return fds.anyMatch(fd -> {
                try {
                    Path target = Files.readSymbolicLink(fd).getFileName();
                    return target != null && target.toString().startsWith("teardown-agent-rt-");
                } catch (IOException e) {
                    return false; // closed meanwhile
                }
            });
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static int uid(Path p) throws AttachRefused {
        try {
            return (Integer) Files.getAttribute(p, "unix:uid");
        } catch (IOException | UnsupportedOperationException e) {
            throw new AttachRefused("cannot read the owner of " + p + ": " + e.getMessage());
        }
    }
}
