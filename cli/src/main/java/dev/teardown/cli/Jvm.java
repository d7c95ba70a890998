package dev.teardown.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;

/** Whether a process is a JVM, so that the doctor can point at {@code doctor --pid N --attach} for it. */
final class Jvm {
    private Jvm() {}

    /**
     * True when the process's executable is named {@code java} (its {@code /proc/PID/exe} link, else its name in
     * {@code /proc/PID/comm}), or it maps libjvm.so (an embedded JVM, a jpackage launcher).
     */
    static boolean is(long pid) {
        try {
            String exe = Files.readSymbolicLink(Paths.get("/proc/" + pid + "/exe")).toString();
            if (exe.endsWith("/java")) {
                return true;
            }
        } catch (IOException | RuntimeException e) {
            // another user's process without root, or gone: the name tells
        }
        try (InputStream in = Files.newInputStream(Paths.get("/proc/" + pid + "/comm"))) {
            if (new String(in.readNBytes(32), StandardCharsets.UTF_8).strip().equals("java")) {
                return true;
            }
        } catch (IOException | RuntimeException e) {
            return false;
        }
        try (InputStream in = Files.newInputStream(Paths.get("/proc/" + pid + "/maps"))) {
            return new String(in.readNBytes(4 << 20), StandardCharsets.ISO_8859_1).contains("/libjvm.so");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
