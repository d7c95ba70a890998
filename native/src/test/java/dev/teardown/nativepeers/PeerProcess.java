package dev.teardown.nativepeers;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * One of the C peers from {@code native/target/bin}, run as a child process. Its stdout lines are
 * queued as they arrive; {@link #close()} always ends it (and anything it forked), so a test that
 * fails half-way leaves nothing running.
 */
final class PeerProcess implements AutoCloseable {
    private static final Duration STOP_GRACE = Duration.ofSeconds(5);

    private final String name;
    private final Process process;
    private final BlockingQueue<String> pending = new LinkedBlockingQueue<>();
    private final List<String> stdout = new ArrayList<>();
    private final StringBuilder stderr = new StringBuilder();
    private final Thread outReader;
    private final Thread errReader;

    private PeerProcess(String name, Process process) {
        this.name = name;
        this.process = process;
        this.outReader = drain(process.getInputStream(), line -> {
            synchronized (stdout) {
                stdout.add(line);
            }
            pending.add(line);
        });
        this.errReader = drain(process.getErrorStream(), line -> {
            synchronized (stderr) {
                stderr.append(line).append('\n');
            }
        });
    }

    /** The directory holding the compiled peers: -Dteardown.native.bin, else target/bin. */
    static Path binDir() {
        String configured = System.getProperty("teardown.native.bin");
        Path dir = configured != null ? Paths.get(configured) : Paths.get("target", "bin");
        return dir.toAbsolutePath();
    }

    static PeerProcess start(String program, String... args) throws IOException {
        Path exe = binDir().resolve(program);
        assertTrue(Files.isExecutable(exe), exe + " is missing: build the native module first (mvn -pl native compile)");
        List<String> command = new ArrayList<>();
        command.add(exe.toString());
        command.addAll(Arrays.asList(args));
        return new PeerProcess(program, new ProcessBuilder(command).start());
    }

    private Thread drain(InputStream in, Consumer<String> sink) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    sink.accept(line);
                }
            } catch (IOException ignored) {
                // the stream closed under us: the process is gone
            }
        }, name + "-reader");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Waits for the next stdout line starting with prefix (earlier lines are skipped). */
    String awaitLine(String prefix, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            String line = left > 0 ? pending.poll(left, TimeUnit.NANOSECONDS) : null;
            if (line == null) {
                fail(name + ": no line starting with '" + prefix + "' within " + timeout + "\n" + describe());
            }
            if (line.startsWith(prefix)) {
                return line;
            }
        }
    }

    /** Reads the first LISTENING line and returns its port. */
    int listeningPort() throws InterruptedException {
        String line = awaitLine("LISTENING ", Duration.ofSeconds(10));
        String[] parts = line.split(" ");
        return Integer.parseInt(parts[2]);
    }

    /** Waits for the process to exit by itself and returns its status. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            fail(name + " did not finish within " + timeout + "\n" + describe());
        }
        joinReaders();
        return process.exitValue();
    }

    /** Sends SIGTERM and waits for a clean exit; returns the exit status. */
    int stop() throws InterruptedException {
        // SIGTERM through the handle: Process.destroy() would also close our end of its stdout,
        // losing the lines it prints while stopping.
        process.toHandle().destroy();
        return awaitExit(STOP_GRACE);
    }

    private void joinReaders() throws InterruptedException {
        outReader.join(2000);
        errReader.join(2000);
    }

    List<String> stdoutLines() {
        synchronized (stdout) {
            return new ArrayList<>(stdout);
        }
    }

    String stderr() {
        synchronized (stderr) {
            return stderr.toString();
        }
    }

    String describe() {
        return "--- " + name + " stdout:\n" + String.join("\n", stdoutLines()) + "\n--- " + name + " stderr:\n" + stderr();
    }

    @Override
    public void close() {
        // Collect the children first: once the parent is gone they are no longer its descendants.
        List<ProcessHandle> descendants = process.descendants().toList();
        try {
            if (process.isAlive()) {
                process.destroy();
                if (!process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
                }
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            descendants.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        }
    }
}
