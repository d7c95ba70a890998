package dev.teardown.cli;

import java.nio.file.Files;
import java.nio.file.Paths;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Gates for tests that need root or a tool: skipped with the reason printed, except in CI (environment
 * variable CI set), where a missing requirement fails the test, so nothing passes without having run.
 */
final class Needs {
    private Needs() {}

    static void require(boolean met, String what) {
        if (met) {
            return;
        }
        String ci = System.getenv("CI");
        if (ci != null && !ci.isEmpty() && !ci.equals("false")) {
            Assertions.fail("needs " + what + " (required in CI)");
        }
        System.out.println("SKIPPED: needs " + what);
        Assumptions.abort("needs " + what);
    }

    static void rootAndTools(String... tools) {
        require("root".equals(System.getProperty("user.name")), "root (a private network namespace: unshare -n, nsenter)");
        tools(tools);
    }

    static void tools(String... tools) {
        for (String t : tools) {
            boolean found = false;
            for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
                found |= Files.isExecutable(Paths.get(dir, t));
            }
            found |= Files.isExecutable(Paths.get("/usr/sbin", t)) || Files.isExecutable(Paths.get("/sbin", t));
            require(found, "the '" + t + "' command");
        }
    }
}
