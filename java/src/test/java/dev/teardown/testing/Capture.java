package dev.teardown.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A tcpdump capture on the loopback interface for one TCP port: the independent observer of what went on
 * the wire (FIN, RST). Needs root and tcpdump; see {@link Requirements}.
 */
public final class Capture implements AutoCloseable {
    /** One captured segment: direction by ports and its TCP flags as tcpdump prints them ("F.", "R", "S"...). */
    public record Segment(int srcPort, int dstPort, String flags, String line) {
        public boolean fin() {
            return flags.contains("F");
        }

        public boolean rst() {
            return flags.contains("R");
        }
    }

    private final Process process;
    private final Path file;
    private List<Segment> segments;

    private Capture(Process process, Path file) {
        this.process = process;
        this.file = file;
    }

    /**
     * Starts capturing TCP segments to or from {@code port} on lo, returning once tcpdump is listening.
     * {@code --immediate-mode} matters: with TPACKET_V3 libpcap otherwise hands packets over only when a
     * ring block fills or its 1 s timeout fires, so a capture stopped sooner would record nothing.
     */
    public static Capture start(int port) throws IOException {
        return start(null, "lo", port);
    }

    /** As {@link #start(int)}, on interface {@code iface} inside the named network namespace (null: this one). */
    public static Capture start(String netns, String iface, int port) throws IOException {
        return start(netns, iface, "tcp port " + port);
    }

    /** As {@link #start(int)}, on {@code iface} inside {@code netns} (null: this one), with a pcap filter. */
    public static Capture start(String netns, String iface, String filter) throws IOException {
        Requirements.requireRoot("packet capture");
        Requirements.requireCommand("tcpdump");
        Path file = Files.createTempFile("teardown-", ".pcap");
        List<String> cmd = new ArrayList<>();
        if (netns != null) {
            cmd.addAll(List.of("ip", "netns", "exec", netns));
        }
        cmd.addAll(List.of("tcpdump", "-i", iface, "-n", "-U", "--immediate-mode", "-s", "128", "-w", file.toString(),
                filter));
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = err.readLine()) != null) {
            if (line.contains("listening on")) {
                break;
            }
        }
        if (line == null) {
            throw new IOException("tcpdump did not start (exit " + waitExit(p) + ")");
        }
        // Keep draining stderr so tcpdump never blocks on it.
        Thread drain = new Thread(() -> {
            try {
                while (err.readLine() != null) {
                    // discard
                }
            } catch (IOException ignored) {
                // tcpdump exited
            }
        }, "tcpdump-stderr");
        drain.setDaemon(true);
        drain.start();
        return new Capture(p, file);
    }

    private static int waitExit(Process p) {
        try {
            return p.waitFor(5, TimeUnit.SECONDS) ? p.exitValue() : -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** Stops tcpdump (after a short settle so the last segments are written) and returns what it saw. */
    public List<Segment> stop() throws IOException {
        if (segments != null) {
            return segments;
        }
        String text;
        try {
            Kernel.sleep(300);
            process.destroy();
            waitExit(process);
            if (process.isAlive()) {
                process.destroyForcibly();
            }
            text = Kernel.run("tcpdump", "-r", file.toString(), "-n", "-tt");
        } finally {
            Files.deleteIfExists(file); // also when reading fails: never leave captures behind in /tmp
        }
        List<Segment> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            // 1700000000.123456 IP 127.0.0.1.41234 > 127.0.0.1.8080: Flags [F.], seq ...
            // 1700000000.123456 IP6 ::1.41234 > ::1.8080: Flags [R], seq ...
            int flagsAt = line.indexOf("Flags [");
            int gt = line.indexOf(" > ");
            if (flagsAt < 0 || gt < 0) {
                continue;
            }
            String src = line.substring(0, gt);
            // the destination ends at ": " (an IPv6 address such as ::1.8080 has colons of its own)
            String dst = line.substring(gt + 3, line.indexOf(": ", gt));
            String flags = line.substring(flagsAt + 7, line.indexOf(']', flagsAt));
            out.add(new Segment(port(src), port(dst), flags, line));
        }
        segments = out;
        return out;
    }

    private static int port(String hostDotPort) {
        return Integer.parseInt(hostDotPort.substring(hostDotPort.lastIndexOf('.') + 1).trim());
    }

    @Override
    public void close() throws IOException {
        stop();
    }
}
