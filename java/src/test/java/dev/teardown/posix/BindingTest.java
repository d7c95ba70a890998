package dev.teardown.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * How the binding is chosen, in child JVMs (the choice is made once per JVM): an unknown
 * {@code dev.teardown.binding} fails at first use naming the accepted values; a JDK 24+ started with
 * {@code --illegal-native-access=deny} gets one message naming the flag to add and a failure at first use that
 * says the same (on the class path both bindings are refused, so there is nothing to fall back to); with the flag
 * there is no warning at all; FFM asked for on a JDK before 22 is refused by name.
 */
class BindingTest {
    /** A JDK 24+ to run children on: this one, or the build's -Dteardown.jdk22.home. */
    private static Path jdk24() {
        if (Runtime.version().feature() >= 24) {
            return Path.of(System.getProperty("java.home"));
        }
        String home = System.getProperty("teardown.jdk22.home", "");
        Assumptions.assumeTrue(!home.isEmpty(), "needs a JDK 24+ (-Dteardown.jdk22.home, ./teardown test finds one)");
        return Path.of(home);
    }

    private static Path jar() throws Exception {
        Path p = Path.of(Libc.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Assumptions.assumeTrue(p.toString().endsWith(".jar"),
                "needs the multi-release jar (runs in the jdk22 profile's executions), not " + p);
        return p;
    }

    private static String run(Path jdk, String... options) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(jdk.resolve("bin/java").toString());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.addAll(List.of(options));
        cmd.add(BindingProbe.class.getName());
        Path out = Files.createTempFile("binding", ".txt");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM finished");
            return Files.readString(out, StandardCharsets.UTF_8);
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    @Test
    void unknownBindingFailsAtFirstUseNamingTheAcceptedOnes() throws Exception {
        jar();
        String out = run(Path.of(System.getProperty("java.home")), "--enable-native-access=ALL-UNNAMED",
                "-Ddev.teardown.binding=jni");
        assertTrue(out.contains("first use failed: java.lang.IllegalStateException: teardown: unknown"
                + " -Ddev.teardown.binding=jni: accepted values are jna and ffm"), out);
        assertTrue(out.contains("second use failed: java.lang.IllegalStateException: teardown: unknown"), out);
    }

    @Test
    void refusedNativeAccessIsSaidOnceNamingTheFlag() throws Exception {
        jar();
        Path jdk = jdk24();
        for (String binding : new String[] {"ffm", "jna"}) {
            String out = run(jdk, "--illegal-native-access=deny", "-Ddev.teardown.binding=" + binding);
            assertEquals(1, count("\n" + out, "\nteardown: native access refused"), "said once, on its own line: " + out);
            assertTrue(out.contains("add --enable-native-access=ALL-UNNAMED"), out);
            assertTrue(out.contains("first use failed: java.lang.IllegalStateException: teardown: native access refused"),
                    out);
            assertTrue(out.contains("second use failed"), out);
        }
    }

    @Test
    void withTheFlagNeitherBindingWarns() throws Exception {
        jar();
        Path jdk = jdk24();
        for (String binding : new String[] {"ffm", "jna"}) {
            String out = run(jdk, "--enable-native-access=ALL-UNNAMED", "-Ddev.teardown.binding=" + binding);
            assertTrue(out.contains("binding=" + binding) && out.contains("first use: ok"), out);
            assertEquals(0, count(out, "WARNING"), out);
        }
        String out = run(jdk, "-Ddev.teardown.binding=ffm");
        assertTrue(out.contains("WARNING: Use --enable-native-access=ALL-UNNAMED"), "without the flag: " + out);
    }

    @Test
    void ffmBeforeJdk22IsRefusedByName() throws Exception {
        Assumptions.assumeTrue(Runtime.version().feature() < 22, "runs on a JDK before 22");
        String out = run(Path.of(System.getProperty("java.home")), "-Ddev.teardown.binding=ffm");
        assertTrue(out.contains("first use failed: java.lang.IllegalStateException: teardown: -Ddev.teardown.binding=ffm"
                + " needs a JDK 22+"), out);
    }
}
