package dev.teardown.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code doctor --pid}: one JVM's sockets grouped by the code that opened them, read by teardown-agent's own reader.
 * The agent jar travels inside this jar (it is also what gets loaded into the JVM), so the reader runs from it in a
 * class loader of its own; {@code -Dteardown.agent.jar} names another copy.
 */
final class JvmSites {
    private static final String EMBEDDED = "/dev/teardown/cli/teardown-agent.jar";

    private JvmSites() {}

    /**
     * Runs {@code teardown-agent.jar report} for {@code pid}; returns its exit status (2: the JVM cannot be attached to).
     *
     * @throws IllegalArgumentException when {@code states} names no TCP state
     */
    static int report(long pid, boolean attach, boolean json, String states, PrintWriter out, PrintWriter err) {
        List<String> args = new ArrayList<>(List.of("report", "--pid", String.valueOf(pid), "--state", states));
        if (attach) {
            args.add("--attach");
        }
        if (json) {
            args.add("--json");
        }
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int status;
        // the platform loader as parent: the agent's classes come from its jar (the one loaded into the JVM), never
        // from this class path; jdk.attach and java.management stay visible through it
        try (URLClassLoader loader = new URLClassLoader(new URL[] {agentJar().toUri().toURL()},
                ClassLoader.getPlatformClassLoader())) {
            try {
                Class.forName("dev.teardown.agent.report.LeakReport", true, loader).getMethod("states", String.class)
                        .invoke(null, states);
            } catch (InvocationTargetException bad) {
                if (bad.getCause() instanceof IllegalArgumentException iae) {
                    throw iae;
                }
                throw bad;
            }
            Class<?> main = Class.forName("dev.teardown.agent.report.Main", true, loader);
            status = (Integer) main.getMethod("run", String[].class, PrintStream.class, PrintStream.class)
                    .invoke(null, args.toArray(String[]::new), new PrintStream(o, true, StandardCharsets.UTF_8),
                            new PrintStream(e, true, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException badState) {
            throw badState;
        } catch (IOException | ReflectiveOperationException | RuntimeException ex) {
            Throwable cause = ex instanceof InvocationTargetException ite ? ite.getCause() : ex;
            err.println("teardown doctor: cannot run the agent's reader: " + cause);
            return Doctor.FAILED;
        }
        out.print(o.toString(StandardCharsets.UTF_8));
        err.print(e.toString(StandardCharsets.UTF_8));
        out.flush();
        err.flush();
        return status;
    }

    /** The agent jar: {@code teardown.agent.jar}, or the embedded copy written to a file the target's user can read. */
    private static Path agentJar() throws IOException {
        String override = System.getProperty("teardown.agent.jar");
        if (override != null) {
            return Path.of(override);
        }
        try (InputStream in = JvmSites.class.getResourceAsStream(EMBEDDED)) {
            if (in == null) {
                throw new IOException("this jar has no " + EMBEDDED + " (build it with mvn package)");
            }
            Path jar = Files.createTempFile("teardown-agent-", ".jar");
            jar.toFile().deleteOnExit(); // a JVM that loaded it keeps it open
            Files.copy(in, jar, StandardCopyOption.REPLACE_EXISTING);
            // the target JVM may run as another user (doctor as root): it must be able to read the jar it loads
            Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-r--r--"));
            return jar;
        }
    }
}
