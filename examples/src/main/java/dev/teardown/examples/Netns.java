package dev.teardown.examples;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import dev.teardown.posix.Errno;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * Runs code in a private network namespace with its own sysctls, so that tcp_fin_timeout, the port range
 * and tcp_tw_reuse can be changed without touching the host. The namespace belongs to one new thread
 * (unshare(CLONE_NEWNET) on that thread only); threads and processes it starts inherit it. Needs root.
 */
final class Netns {
    private Netns() {}

    static final int CLONE_NEWNET = 0x40000000;

    /** unshare(2), JNA direct-mapped: only the examples enter namespaces, so teardown's binding does not carry it. */
    static final class Unshare {
        private Unshare() {}

        static {
            Native.register(Unshare.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
        }

        static native int unshare(int flags);
    }

    /** Null when a namespace can be made here, otherwise the reason it cannot. */
    static String unavailableReason() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "a private network namespace needs root (unshare(CLONE_NEWNET)); running as " + System.getProperty("user.name");
        }
        return null;
    }

    /** Runs {@code body} on a new thread inside a fresh network namespace with lo up and {@code sysctls} set. */
    static <T> T run(Map<String, String> sysctls, Callable<T> body) throws Exception {
        FutureTask<T> task = new FutureTask<>(() -> {
            if (Unshare.unshare(CLONE_NEWNET) != 0) {
                int e = Native.getLastError();
                throw new IOException("unshare(CLONE_NEWNET): " + Errno.name(e) + " (" + Errno.describe(e) + ")");
            }
            exec("ip", "link", "set", "lo", "up");
            for (Map.Entry<String, String> s : sysctls.entrySet()) {
                Path p = Paths.get("/proc/sys/" + s.getKey().replace('.', '/'));
                if (!Files.exists(p)) {
                    throw new IOException("this kernel has no sysctl " + s.getKey());
                }
                // Opened from this thread, so it writes this namespace's value.
                Files.writeString(p, s.getValue(), StandardCharsets.US_ASCII);
            }
            return body.call();
        });
        Thread t = new Thread(task, "netns");
        t.start();
        try {
            return task.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception ex) {
                throw ex;
            }
            throw e;
        }
    }

    /** A scenario body that runs on a given timeline. */
    interface Body {
        Verdict run(Timeline t) throws Exception;
    }

    /**
     * As root: runs {@code body} in a fresh namespace where net.ipv4.tcp_fin_timeout is {@code seconds}, on a
     * timeline of its own (the sampler must live in that namespace). Otherwise prints why not and returns null,
     * and the caller runs its fallback.
     */
    static Verdict withFinTimeout(Timeline outer, int seconds, Body body) throws Exception {
        String why = unavailableReason();
        if (why != null) {
            outer.say("no private network namespace (" + why + ")");
            return null;
        }
        outer.say("in a private network namespace with net.ipv4.tcp_fin_timeout=" + seconds);
        return run(Map.of("net.ipv4.tcp_fin_timeout", String.valueOf(seconds)), () -> {
            try (Timeline t = new Timeline(System.out)) {
                return body.run(t);
            }
        });
    }

    /**
     * Runs {@code body} in a fresh namespace with {@code sysctls} set, on a timeline of its own (the sampler must
     * live in that namespace), after saying so on {@code outer}. The caller checks {@link #unavailableReason} first.
     */
    static Verdict scenario(Timeline outer, Map<String, String> sysctls, Body body) throws Exception {
        outer.say("in a fresh private network namespace" + (sysctls.isEmpty() ? "" : " with " + sysctls.toString()
                .replace("{", "").replace("}", "").replace(", ", " ")));
        return run(sysctls, () -> {
            try (Timeline t = new Timeline(System.out)) {
                return body.run(t);
            }
        });
    }

    /** Reads a sysctl in the calling thread's namespace. */
    static String sysctl(String name) throws IOException {
        return Files.readString(Paths.get("/proc/sys/" + name.replace('.', '/'))).trim();
    }

    /** Runs a command (from the calling thread, so in its namespace); fails with its output if it exits non-zero. */
    static void exec(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out.trim());
        }
    }
}
