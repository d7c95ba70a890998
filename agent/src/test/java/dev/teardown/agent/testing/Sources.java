package dev.teardown.agent.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Finds the line of a marker comment in a test app's source, so that tests name lines without hard-coding them. */
public final class Sources {
    private Sources() {}

    /** The 1-based line of {@code marker} in the source of {@code type} (under src/test/java). */
    public static int line(Class<?> type, String marker) throws IOException {
        Path src = Path.of("src/test/java", type.getName().replace('.', '/') + ".java");
        List<String> lines = Files.readAllLines(src);
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(marker)) {
                return i + 1;
            }
        }
        throw new IllegalStateException(marker + " not in " + src);
    }
}
