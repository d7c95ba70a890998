package dev.teardown.examples;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where a scenario leaves its files (captures, ladders as text and SVG): {@code <teardown.runs>/<scenario>/},
 * by default {@code target/teardown-runs} under the working directory; each run overwrites the last.
 */
final class Runs {
    private Runs() {}

    private static final Set<Path> USED = ConcurrentHashMap.newKeySet();

    /** The file {@code name} in the scenario's directory, which is created when missing. */
    static Path file(String scenario, String name) {
        Path dir = Paths.get(System.getProperty("teardown.runs", "target/teardown-runs")).toAbsolutePath().resolve(scenario);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        USED.add(dir);
        return dir.resolve(name);
    }

    /** The scenario's directory if this run wrote anything there, else null. */
    static Path usedDir(String scenario) {
        for (Path p : USED) {
            if (p.getFileName().toString().equals(scenario)) {
                return p;
            }
        }
        return null;
    }
}
