package dev.teardown;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link TcpSocket#closeFast} allocates nothing, whether or not the JIT inlines it: measured with
 * {@code ThreadMXBean.getCurrentThreadAllocatedBytes} around batches of closes, in a child JVM running interpreted
 * only ({@code -Xint}: no escape analysis can hide an allocation) and in one compiled by C2 after a warm-up. Runs
 * on this JVM's binding.
 */
class CloseAllocationTest {
    private static List<String> probe(int rounds, int batch, String... jvmOptions) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        if (Runtime.version().feature() >= 22) {
            cmd.add("--enable-native-access=ALL-UNNAMED");
        }
        String binding = System.getProperty("dev.teardown.binding");
        if (binding != null) {
            cmd.add("-Ddev.teardown.binding=" + binding);
        }
        cmd.addAll(List.of(jvmOptions));
        cmd.add(CloseAllocationProbe.class.getName());
        cmd.add(Integer.toString(rounds));
        cmd.add(Integer.toString(batch));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), out);
        return List.of(out.strip().split("\n"));
    }

    /** The last round's lines: every mode 0 bytes for the whole batch. */
    private static void assertLastRoundAllocatesNothing(List<String> lines, int rounds) {
        int checked = 0;
        for (String line : lines) {
            String[] f = line.split(" ");
            if (f.length == 3 && f[0].equals(Integer.toString(rounds - 1))) {
                assertEquals("0", f[2], "bytes allocated by 100 closeFast(" + f[1] + "): " + lines);
                checked++;
            }
        }
        assertEquals(3, checked, String.join("\n", lines));
    }

    @Test
    void interpretedCloseFastAllocatesNothing() throws Exception {
        // the first rounds load classes, fill thread-locals and (FFM) customise the method handles' lambda forms after
        // 127 calls, once; the last round is what every later close costs
        assertLastRoundAllocatesNothing(probe(4, 100, "-Xint"), 4);
    }

    @Test
    void compiledCloseFastAllocatesNothing() throws Exception {
        assertLastRoundAllocatesNothing(probe(25, 100, "-XX:-TieredCompilation", "-XX:CompileThreshold=500"), 25);
    }
}
