package dev.teardown.bench;

import java.io.File;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the C programs are: the shared listener and the churn baseline in {@code native/target/bin},
 * {@code close-path} in {@code benchmarks/target/bin}. System properties {@code teardown.native.bin} and
 * {@code teardown.bench.bin} win; otherwise they are looked up next to this jar or class directory and
 * under the working directory.
 */
final class Bins {
    private Bins() {}

    static Path nativeBin() {
        return find("teardown.native.bin", "accept-close-listener", "native/target/bin");
    }

    static Path benchBin() {
        return find("teardown.bench.bin", "close-path", "benchmarks/target/bin");
    }

    static String listener() {
        return nativeBin().resolve("accept-close-listener").toString();
    }

    static String churn() {
        return nativeBin().resolve("churn").toString();
    }

    static String echoLoad() {
        return nativeBin().resolve("echo-load").toString();
    }

    static String closePath() {
        return benchBin().resolve("close-path").toString();
    }

    private static Path find(String property, String program, String fromRoot) {
        List<Path> tried = new ArrayList<>();
        String p = System.getProperty(property);
        if (p != null) {
            Path dir = Paths.get(p).toAbsolutePath().normalize();
            if (Files.isExecutable(dir.resolve(program))) {
                return dir;
            }
            tried.add(dir);
        }
        // benchmarks/target/benchmarks.jar or benchmarks/target/classes: the repository root is two levels up
        Path root = null;
        try {
            Path here = Paths.get(Bins.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path target = here.getParent();
            if (target != null && target.getParent() != null) {
                root = target.getParent().getParent();
            }
        } catch (URISyntaxException | SecurityException | NullPointerException ignored) {
            // fall through to the working directory
        }
        for (Path base : new Path[] {root, Paths.get("").toAbsolutePath(), Paths.get("..").toAbsolutePath()}) {
            if (base == null) {
                continue;
            }
            Path dir = base.resolve(fromRoot).normalize();
            if (Files.isExecutable(dir.resolve(program))) {
                return dir;
            }
            tried.add(dir);
        }
        throw new IllegalStateException(program + " not found (looked in " + tried + "); build it first: mvn -B -DskipTests"
                + " package -pl benchmarks -am, or set -D" + property + "=DIR" + File.separator);
    }
}
