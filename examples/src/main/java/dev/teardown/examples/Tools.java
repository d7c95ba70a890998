package dev.teardown.examples;

import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/** Finds system tools the way {@code ./teardown} does (PATH, /usr/sbin, /sbin), and says which are missing. */
final class Tools {
    private Tools() {}

    /** Null when every tool is present, otherwise a reason naming the missing ones. */
    static String missing(String... tools) {
        List<String> gone = new ArrayList<>();
        for (String t : tools) {
            if (!on(t)) {
                gone.add(t);
            }
        }
        return gone.isEmpty() ? null : "needs " + String.join(", ", gone) + " (./teardown tools installs them as root)";
    }

    static boolean on(String tool) {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin";
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Paths.get(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    /** Whether this runs in CI (environment variable CI set), where a missing requirement fails instead of skipping. */
    static boolean inCi() {
        String ci = System.getenv("CI");
        return ci != null && !ci.isEmpty() && !ci.equals("false");
    }
}
