package dev.teardown.agent;

import java.lang.instrument.Instrumentation;
import java.net.URL;
import java.security.CodeSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * Tells library frames from the application's, by where each frame's class was loaded from: the JDK (the boot and
 * platform loaders, or a {@code java.}/{@code jdk.} module), teardown, and any jar other than the one holding the
 * application's main class are library code; the main class's jar or directory, a directory of classes, and a
 * packed application's own classes ({@code BOOT-INF/classes}, {@code WEB-INF/classes}) are the application's. The
 * agent options {@code app=PREFIX:PREFIX...} and {@code lib=PREFIX:...} decide for packages this gets wrong (an
 * application split over several jars, a library shipped as classes). Runs when a site is resolved, never per socket.
 */
final class ApplicationFrames implements Predicate<StackTraceElement> {
    private final Instrumentation inst;
    private final List<String> app;
    private final List<String> lib;
    private final Map<String, Boolean> cache = new ConcurrentHashMap<>();
    private volatile Map<String, Class<?>> loaded = Map.of();
    private volatile long loadedAt;
    private volatile String mainLocation;

    ApplicationFrames(Instrumentation inst, List<String> app, List<String> lib) {
        this.inst = inst;
        this.app = app;
        this.lib = lib;
    }

    /** True for a frame of library code. */
    @Override
    public boolean test(StackTraceElement f) {
        String c = f.getClassName();
        for (String p : app) {
            if (c.startsWith(p)) {
                return false;
            }
        }
        for (String p : lib) {
            if (c.startsWith(p)) {
                return true;
            }
        }
        String m = f.getModuleName();
        if (m != null && (m.startsWith("java.") || m.startsWith("jdk."))) {
            return true;
        }
        if (c.startsWith("java.") || c.startsWith("javax.") || c.startsWith("jdk.") || c.startsWith("sun.")
                || c.startsWith("com.sun.") || c.startsWith("dev.teardown.")) {
            return true;
        }
        return cache.computeIfAbsent(f.getClassLoaderName() + "/" + c, k -> fromOrigin(f));
    }

    private boolean fromOrigin(StackTraceElement f) {
        Class<?> type = find(f);
        if (type == null) {
            return false; // not found: rather name it than hide the frame that may be the application's
        }
        ClassLoader loader = type.getClassLoader();
        if (loader == null || loader == ClassLoader.getPlatformClassLoader()) {
            return true;
        }
        String location = location(type);
        if (location == null) {
            return false;
        }
        if (location.contains("/BOOT-INF/classes") || location.contains("/WEB-INF/classes")) {
            return false;
        }
        if (location.contains("/BOOT-INF/lib/") || location.contains("/WEB-INF/lib/")) {
            return true;
        }
        if (!location.endsWith(".jar") && !location.endsWith(".jar!/")) {
            return false; // a directory of classes: the application's own build
        }
        return !location.equals(mainLocation());
    }

    private Class<?> find(StackTraceElement f) {
        String name = f.getClassName();
        if ("app".equals(f.getClassLoaderName())) {
            try {
                return Class.forName(name, false, ClassLoader.getSystemClassLoader());
            } catch (ClassNotFoundException | LinkageError e) {
                // look among all loaded classes
            }
        }
        Class<?> c = loaded.get(name);
        if (c == null && System.nanoTime() - loadedAt > 1_000_000_000L) { // a class loaded since: index again
            Map<String, Class<?>> all = new ConcurrentHashMap<>();
            for (Class<?> k : inst.getAllLoadedClasses()) {
                all.putIfAbsent(k.getName(), k);
            }
            loaded = all;
            loadedAt = System.nanoTime();
            c = all.get(name);
        }
        return c;
    }

    private static String location(Class<?> type) {
        CodeSource cs = type.getProtectionDomain() == null ? null : type.getProtectionDomain().getCodeSource();
        URL url = cs == null ? null : cs.getLocation();
        return url == null ? null : url.toString();
    }

    /** Where the main class came from: the jar of {@code java -jar}, or the main class's jar or directory. */
    private String mainLocation() {
        String m = mainLocation;
        if (m == null) {
            String command = System.getProperty("sun.java.command", "").split(" ")[0];
            m = "";
            try {
                if (command.endsWith(".jar")) {
                    m = java.nio.file.Path.of(command).toAbsolutePath().toUri().toURL().toString();
                } else if (!command.isEmpty()) {
                    String main = command.contains("/") ? command.substring(command.indexOf('/') + 1) : command;
                    Class<?> c = Class.forName(main, false, ClassLoader.getSystemClassLoader());
                    m = String.valueOf(location(c));
                }
            } catch (Exception | LinkageError e) {
                // no main to compare with: every jar counts as a library
            }
            mainLocation = m;
        }
        return m;
    }
}
