package dev.teardown.examples;

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
 * A tcpdump capture of one TCP port on lo, in the network namespace of the thread that starts it, written to a
 * pcap file (kept next to the run) and read back as {@link Packet}s: the observer of what went on the wire.
 */
final class Capture implements AutoCloseable {
    private final Process process;
    private final Path pcap;
    private List<Packet> packets;

    private Capture(Process process, Path pcap) {
        this.process = process;
        this.pcap = pcap;
    }

    /** Null when a capture can run here, otherwise what is missing. */
    static String unavailableReason() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "a packet capture needs root (running as " + System.getProperty("user.name") + ")";
        }
        return Tools.missing("tcpdump");
    }

    /**
     * Starts capturing segments to or from {@code port}, returning once tcpdump listens. {@code --immediate-mode}
     * hands each packet over at once (otherwise a short capture may record nothing); {@code -Z root} keeps
     * tcpdump from dropping to a user that cannot write {@code pcap}.
     */
    static Capture start(int port, Path pcap) throws IOException {
        Process p = new ProcessBuilder("tcpdump", "-i", "lo", "-n", "-U", "--immediate-mode", "-s", "128", "-Z", "root",
                "-w", pcap.toString(), "tcp port " + port).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
        StringBuilder said = new StringBuilder();
        String line;
        while ((line = err.readLine()) != null && !line.contains("listening on")) {
            said.append(line).append('\n');
        }
        if (line == null) {
            throw new IOException("tcpdump did not start: " + said.toString().trim());
        }
        Thread drain = new Thread(() -> {
            try {
                while (err.readLine() != null) {
                    // tcpdump's closing statistics
                }
            } catch (IOException exited) {
                // done
            }
        }, "tcpdump-stderr");
        drain.setDaemon(true);
        drain.start();
        return new Capture(p, pcap);
    }

    Path pcap() {
        return pcap;
    }

    /** Stops tcpdump after a short settle (so the last segments are written) and returns the segments, in order. */
    List<Packet> stop() throws IOException, InterruptedException {
        if (packets != null) {
            return packets;
        }
        Thread.sleep(200);
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        Process r = new ProcessBuilder("tcpdump", "-r", pcap.toString(), "-n", "-tt", "-S")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String text = new String(r.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        r.waitFor(10, TimeUnit.SECONDS);
        List<Packet> out = new ArrayList<>();
        for (String l : text.split("\n")) {
            Packet pk = Packet.parse(l);
            if (pk != null) {
                out.add(pk);
            }
        }
        packets = out;
        return out;
    }

    @Override
    public void close() {
        if (packets == null) {
            process.destroy();
        }
    }
}
