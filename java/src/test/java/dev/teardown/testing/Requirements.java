package dev.teardown.testing;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Gates for tests that need root or a tool. Outside CI a missing requirement skips the test with the
 * reason printed; in CI (environment variable CI set) it fails, so nothing passes without having run.
 */
public final class Requirements {
    private Requirements() {}

    public static void require(boolean met, String what) {
        if (met) {
            return;
        }
        String reason = "needs " + what;
        if (Kernel.inCi()) {
            Assertions.fail(reason + " (required in CI)");
        }
        System.out.println("SKIPPED: " + reason);
        Assumptions.abort(reason);
    }

    public static void requireRoot(String why) {
        require(Kernel.isRoot(), "root (" + why + ")");
    }

    public static void requireCommand(String name) {
        require(Kernel.hasCommand(name), "the '" + name + "' command on PATH");
    }
}
