package dev.teardown.posix;

import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;

/**
 * How JNA is given libc without starting a process. JNA's {@code NativeLibrary} runs {@code /sbin/ldconfig -p} as
 * a child process while its class initializes on Linux, to learn the system's library directories, unless the system
 * property {@code jna.platform.library.path} is set. Before JNA's first use, teardown sets that property (only when
 * the application has not) to the directory of the libc this JVM already has mapped (from
 * {@code /proc/self/maps}), and loads libc by that absolute path. JNA's later lookups by bare name still go through
 * the dynamic linker's own cache ({@code dlopen}).
 */
final class JnaLibraries {
    private JnaLibraries() {}

    static final String PLATFORM_PATH = "jna.platform.library.path";
    private static final String LIBC = findLibc();

    /** libc for {@code Native.register}, never by way of ldconfig. */
    static NativeLibrary libc() {
        return NativeLibrary.getInstance(LIBC != null ? LIBC : Platform.C_LIBRARY_NAME);
    }

    private static String findLibc() {
        if (!Os.LINUX) {
            return null;
        }
        String path = null;
        try {
            List<String> maps = Files.readAllLines(Paths.get("/proc/self/maps"));
            for (String line : maps) {
                int slash = line.indexOf('/');
                if (slash < 0) {
                    continue;
                }
                String file = line.substring(slash).trim();
                String name = file.substring(file.lastIndexOf('/') + 1);
                if (name.equals("libc.so.6") || (name.startsWith("libc-") && name.endsWith(".so"))) {
                    path = file;
                    break;
                }
            }
        } catch (IOException | RuntimeException unreadable) {
            return null; // JNA finds libc its own way (and may run ldconfig)
        }
        if (path != null && System.getProperty(PLATFORM_PATH) == null) {
            Path dir = Paths.get(path).getParent();
            System.setProperty(PLATFORM_PATH, dir.toString());
        }
        return path;
    }
}
