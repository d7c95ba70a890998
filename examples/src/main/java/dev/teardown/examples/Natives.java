package dev.teardown.examples;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Finds the C programs built by the {@code native} module ({@code native/target/bin}). */
final class Natives {
    private Natives() {}

    static Path binary(String name) {
        String configured = System.getProperty("teardown.native.bin");
        if (configured != null) {
            Path p = Paths.get(configured, name);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        for (Path dir = Paths.get("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path p = dir.resolve("native/target/bin").resolve(name);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        throw new IllegalStateException("the C program '" + name + "' is not built: run ./teardown demo (which builds it),"
                + " or mvn -B -pl native package, or set -Dteardown.native.bin=DIR");
    }
}
