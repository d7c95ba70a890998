package dev.teardown.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a person finds a network namespace: the container or pod of the processes in it, read from their cgroup
 * paths ({@code /proc/PID/cgroup}: Docker, containerd, CRI-O, Podman, Kubernetes pod UID and container ID), else its
 * {@code ip netns} name, else "host" for the namespace of pid 1, else its inode and a pid in it.
 *
 * @param display what the report shows ("pod 5f1c... container 9ab3c2d1e0f4", "docker 9ab3c2d1e0f4", "ip netns td20-a",
 *     "netns 4026532801 (pid 4242)"); raw: an {@code ip netns} name is shown escaped by the text view
 * @param runtime "docker", "containerd", "cri-o", "podman", "kubernetes" (a pod whose runtime the path does not say) or
 *     null
 * @param containerId the full container ID (64 hex digits) or null
 * @param podUid the Kubernetes pod UID or null
 */
record NetnsName(String display, String runtime, String containerId, String podUid) {
    /** A 64-hex-digit container ID after a runtime's prefix, as cgroup drivers spell it. */
    private static final Pattern CONTAINER = Pattern.compile(
            "(?:^|/)(docker|cri-containerd|crio|libpod|containerd)?[-/:]?([0-9a-f]{64})(?:\\.scope)?(?:/|$)");
    /** kubepods: "pod<uid>" with dashes (cgroupfs) or underscores (systemd driver). */
    private static final Pattern POD = Pattern.compile("pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})");

    /** Names {@code ns}: the first of its processes whose cgroup names a container, else as the class says. */
    static NetnsName of(Netns ns, long hostInode) {
        NetnsName found = null;
        int tried = 0;
        for (long pid : ns.pids()) {
            if (tried++ >= 16) {
                break;
            }
            NetnsName n = fromCgroup(read("/proc/" + pid + "/cgroup", 8192));
            if (n != null && (found == null || found.containerId == null && n.containerId != null)) {
                found = n;
                if (n.containerId != null) {
                    break;
                }
            }
        }
        if (found != null) {
            return found;
        }
        if (ns.ipName() != null) {
            return new NetnsName("ip netns " + ns.ipName(), null, null, null);
        }
        if (ns.inode() == hostInode) {
            return new NetnsName("host", null, null, null);
        }
        String who = ns.pids().isEmpty() ? "no process" : "pid " + ns.pids().get(0);
        return new NetnsName("netns " + ns.inode() + " (" + who + ")", null, null, null);
    }

    /** The container named by a {@code /proc/PID/cgroup} text, or null when it names none. */
    static NetnsName fromCgroup(String cgroup) {
        if (cgroup == null) {
            return null;
        }
        String pod = null;
        String id = null;
        String runtime = null;
        for (String line : cgroup.split("\n")) {
            int colon = line.indexOf(':', line.indexOf(':') + 1);
            String path = colon < 0 ? line : line.substring(colon + 1);
            Matcher p = POD.matcher(path);
            if (pod == null && p.find()) {
                pod = p.group(1).replace('_', '-');
            }
            if (id == null) {
                Matcher c = CONTAINER.matcher(path);
                String last = null;
                String lastPrefix = null;
                while (c.find()) {
                    last = c.group(2);
                    lastPrefix = c.group(1);
                }
                if (last != null) {
                    id = last;
                    runtime = runtime(lastPrefix, path);
                }
            }
        }
        if (id == null && pod == null) {
            return null;
        }
        String shortId = id == null ? null : id.substring(0, 12);
        if (pod != null) {
            return new NetnsName("pod " + pod + (id == null ? "" : " container " + shortId),
                    runtime == null ? "kubernetes" : runtime, id, pod);
        }
        return new NetnsName((runtime == null ? "container" : runtime) + " " + shortId, runtime, id, null);
    }

    private static String runtime(String prefix, String path) {
        if (prefix == null) {
            return path.contains("docker") ? "docker" : path.contains("crio") ? "cri-o"
                    : path.contains("containerd") ? "containerd" : path.contains("libpod") ? "podman" : null;
        }
        return switch (prefix) {
            case "docker" -> "docker";
            case "crio" -> "cri-o";
            case "libpod" -> "podman";
            default -> "containerd";
        };
    }

    private static String read(String path, int max) {
        try (InputStream in = Files.newInputStream(Paths.get(path))) {
            return new String(in.readNBytes(max), StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
