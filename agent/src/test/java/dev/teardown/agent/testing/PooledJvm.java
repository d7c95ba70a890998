package dev.teardown.agent.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A separate JVM running {@code org.example.pooled.PooledApp} (a service with one pooled HTTP client and its own
 * Python keep-alive server), driven command by command over its standard input; it and its server are killed on close.
 */
public final class PooledJvm implements AutoCloseable {
    private final Process process;
    private final BufferedReader out;
    private final Writer in;
    private final Path stderr;
    private final int serverPort;

    private PooledJvm(Process process, BufferedReader out, Path stderr, int serverPort) {
        this.process = process;
        this.out = out;
        this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        this.stderr = stderr;
        this.serverPort = serverPort;
    }

    /**
     * Starts the app for {@code client} with the server's idle timeout {@code idleSeconds}, the given JVM options
     * (after a {@code "--"} among them: the app's further arguments), and {@code prefix} before {@code java} (a command
     * that runs it in a network namespace of its own, or nothing).
     */
    public static PooledJvm start(String client, double idleSeconds, List<String> prefix, String... jvmOptions)
            throws IOException {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.add(AppJvm.java());
        List<String> options = List.of(jvmOptions);
        int appArgs = options.indexOf("--"); // JVM options, then "--" and more arguments for the app (https)
        cmd.addAll(appArgs < 0 ? options : options.subList(0, appArgs));
        cmd.addAll(List.of("-cp", AppJvm.appClassPath(), "org.example.pooled.PooledApp", client,
                String.valueOf(idleSeconds)));
        if (appArgs >= 0) {
            cmd.addAll(options.subList(appArgs + 1, options.size()));
        }
        Path err = Files.createTempFile("teardown-agent-pooled-", ".err");
        Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        while (line != null && !line.startsWith("ready ")) {
            line = out.readLine();
        }
        if (line == null) {
            kill(p);
            throw new IllegalStateException("app did not start; stderr: " + Files.readString(err));
        }
        return new PooledJvm(p, out, err, Integer.parseInt(line.substring(6).trim()));
    }

    /** Runs one command ({@code price N}, {@code stock N}) and waits for it to finish. */
    public void run(String command) throws IOException {
        in.write(command + "\n");
        in.flush();
        String line = out.readLine();
        if (!"done".equals(line)) {
            throw new IllegalStateException(command + ": " + line + "; stderr: " + Files.readString(stderr));
        }
    }

    /** The app JVM's pid (the host's): the process started, or the JVM it forked (under {@code unshare -p -f}). */
    public long pid() {
        if (process.info().command().map(c -> c.endsWith("/java")).orElse(true)) {
            return process.pid();
        }
        return process.descendants().filter(p -> p.info().command().map(c -> c.endsWith("/java")).orElse(false))
                .findFirst().orElseThrow(() -> new IllegalStateException("no java under " + process.pid())).pid();
    }

    /** The port of the app's HTTP server. */
    public int serverPort() {
        return serverPort;
    }

    @Override
    public void close() throws IOException {
        kill(process);
        Files.deleteIfExists(stderr);
    }

    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
