package dev.teardown.agent.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A separate JVM running one of the leaky apps: started, waited for until it prints its port, killed on close. */
public final class AppJvm implements AutoCloseable {
    private final Process process;
    private final int port;
    private final Path stderr;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    private AppJvm(Process process, int port, Path stderr, BufferedReader out) {
        this.process = process;
        this.port = port;
        this.stderr = stderr;
        Thread reader = new Thread(() -> {
            try {
                for (String line; (line = out.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException e) {
                // the app exited
            }
        }, "app-stdout");
        reader.setDaemon(true);
        reader.start();
    }

    /** Waits up to {@code seconds} for the app to print {@code line} after its port; false if it did not. */
    public boolean awaitLine(String line, int seconds) throws InterruptedException {
        for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds); System.nanoTime() < end; ) {
            String next = lines.poll(100, TimeUnit.MILLISECONDS);
            if (line.equals(next)) {
                return true;
            }
        }
        return false;
    }

    /** Starts {@code mainClass} on this test's class path with the given JVM options, and waits for its port. */
    public static AppJvm start(Class<?> mainClass, String... jvmOptions) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(java());
        cmd.addAll(List.of(jvmOptions));
        cmd.addAll(List.of("-cp", appClassPath(), mainClass.getName()));
        Path err = Files.createTempFile("teardown-agent-app-", ".err");
        Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine(); // blocks until the app prints its port (after JFR's own lines), or exits
        while (line != null && !line.startsWith("port ")) {
            line = out.readLine();
        }
        if (line == null) {
            p.destroyForcibly();
            throw new IllegalStateException("app did not start: " + line + "; stderr: " + Files.readString(err));
        }
        return new AppJvm(p, Integer.parseInt(line.substring(5).trim()), err, out);
    }

    public long pid() {
        return process.pid();
    }

    public int port() {
        return port;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public String stderr() throws IOException {
        return Files.readString(stderr);
    }

    /** Opens {@code n} connections to the app and closes each at once: the app is left holding them in CLOSE_WAIT. */
    public void hangUp(int n) throws IOException {
        for (int i = 0; i < n; i++) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                s.getOutputStream().write('x');
            }
        }
    }

    @Override
    public void close() throws IOException {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Files.deleteIfExists(stderr);
    }

    /** The test class path without the agent's own classes: the app knows nothing of the agent. */
    static String appClassPath() {
        Path agentClasses = Path.of("target", "classes").toAbsolutePath();
        List<String> cp = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            if (!Path.of(e).toAbsolutePath().equals(agentClasses)) {
                cp.add(e);
            }
        }
        return String.join(java.io.File.pathSeparator, cp);
    }

    /** The {@code java} launcher of the JVM running the tests. */
    public static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
