package dev.teardown;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.teardown.posix.Libc;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The jar on the module path of this JVM (17 in the jar17 execution, 25 in the ffm one): module {@code dev.teardown}
 * from its versions/17 descriptor, exporting the API and not the binding, and working. On a JDK 22+ the flag the
 * README names for the module path, {@code --enable-native-access=dev.teardown}, leaves no warning.
 */
class ModulePathTest {
    @Test
    void theJarIsAModuleThatExportsOnlyTheApi() throws Exception {
        Path jar = Path.of(Libc.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Assumptions.assumeTrue(jar.toString().endsWith(".jar"), "needs the packaged jar, not " + jar);
        Path jna = Path.of(com.sun.jna.Native.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path probe = Path.of(dev.teardownprobe.ModuleProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--module-path", jar + File.pathSeparator + jna, "--add-modules", "dev.teardown"));
        if (Runtime.version().feature() >= 22) {
            cmd.add("--enable-native-access=dev.teardown");
        }
        cmd.addAll(List.of("-cp", probe.toString(), dev.teardownprobe.ModuleProbe.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("module dev.teardown\n"), out);
        assertTrue(out.contains("exports posix false") && out.contains("exports inspect true"), out);
        assertTrue(out.contains("closed FIN"), out);
        assertFalse(out.contains("WARNING"), out);
    }
}
