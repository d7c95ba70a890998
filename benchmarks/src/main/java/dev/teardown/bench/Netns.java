package dev.teardown.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The private network namespace the benchmarks run in. As root, the driver re-executes itself under
 * {@code unshare -n} (so the JMH forks, the C listener and churn all live there), brings {@code lo} up and
 * sets the sysctls that decide churn explicitly; the host's socket table and settings are never touched.
 * Elsewhere it prints why it cannot and runs in the host's namespace with the host's settings.
 */
final class Netns {
    private Netns() {}

    /** Set in the environment of the re-executed driver. */
    static final String ENV = "TEARDOWN_BENCH_NETNS";

    /** The settings of the main run: a wide port range and TIME_WAIT reuse, explicit (DESIGN pitfalls). */
    static Map<String, String> runSettings() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("net.ipv4.ip_local_port_range", "1024 65535");
        m.put("net.ipv4.tcp_tw_reuse", "1");
        m.put("net.ipv4.tcp_tw_reuse_delay", "1000");
        m.put("net.ipv4.tcp_timestamps", "1");
        return m;
    }

    static boolean inside() {
        return "1".equals(System.getenv(ENV));
    }

    /** Null if a namespace can be made here (root, unshare and ip present, unshare permitted), else why not. */
    static String unavailableReason() {
        if (!Kernel.isRoot()) {
            return "not root (a private network namespace needs CAP_SYS_ADMIN: run ./teardown bench as root)";
        }
        String unshare = which("unshare");
        String ip = which("ip");
        if (unshare == null || ip == null) {
            return (unshare == null ? "unshare" : "ip") + " not found (Debian packages util-linux, iproute2)";
        }
        try {
            Process p = new ProcessBuilder(unshare, "-n", "true").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return "unshare -n failed: " + out;
            }
        } catch (IOException e) {
            return "unshare -n failed: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
        return null;
    }

    /** Runs this JVM's main class again under {@code unshare -n} with the same arguments; returns its exit code. */
    static int reexec(String mainClass, String[] args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(which("unshare"));
        cmd.add("-n");
        cmd.add("--");
        cmd.addAll(javaCommand(mainClass));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
        pb.environment().put(ENV, "1");
        Process p = pb.start();
        Runtime.getRuntime().addShutdownHook(new Thread(p::destroy));
        return p.waitFor();
    }

    /** java, this JVM's options and class path, and {@code mainClass}. */
    static List<String> javaCommand(String mainClass) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-agentlib:jdwp")) {
                cmd.add(a);
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        return cmd;
    }

    /** Inside the new namespace: lo up, then the sysctls (each written from this process, so this namespace's). */
    static void setUp(Map<String, String> sysctls) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(which("ip"), "link", "set", "lo", "up").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (p.waitFor() != 0) {
            throw new IOException("ip link set lo up failed: " + out);
        }
        for (Map.Entry<String, String> s : sysctls.entrySet()) {
            Path f = Paths.get("/proc/sys/" + s.getKey().replace('.', '/'));
            if (Files.exists(f)) {
                Files.writeString(f, s.getValue(), StandardCharsets.US_ASCII);
            } else {
                System.out.println("note: this kernel has no " + s.getKey() + "; left unset");
            }
        }
    }

    static String which(String tool) {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin:/usr/bin:/bin";
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Paths.get(dir, tool))) {
                return Paths.get(dir, tool).toString();
            }
        }
        return null;
    }
}
