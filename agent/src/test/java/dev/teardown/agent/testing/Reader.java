package dev.teardown.agent.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs the packaged reader, {@code java -jar teardown-agent.jar report ...}, as the on-call engineer would. */
public final class Reader {
    /** The reader's exit status and output. */
    public record Result(int status, String out, String err) {}

    private Reader() {}

    public static String jar() {
        String jar = System.getProperty("teardown.agent.jar");
        if (jar == null) {
            throw new IllegalStateException("teardown.agent.jar is not set (the build sets it to the packaged jar)");
        }
        return jar;
    }

    public static Result report(String... args) throws IOException, InterruptedException {
        return reportWith(jar(), args);
    }

    /** As {@link #report}, run from another copy of the agent jar. */
    public static Result reportWith(String agentJar, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(AppJvm.java(), "-jar", agentJar, "report"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).start();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p, true));
        String out = read(p, false);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("reader still running after 60 s: " + cmd);
        }
        return new Result(p.exitValue(), out, err.join());
    }

    private static String read(Process p, boolean err) {
        try {
            return new String((err ? p.getErrorStream() : p.getInputStream()).readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
