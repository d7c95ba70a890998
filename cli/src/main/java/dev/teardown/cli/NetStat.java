package dev.teardown.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.OptionalLong;

/**
 * The kernel's listen-queue counters from {@code /proc/thread-self/net/netstat} (the calling thread's network
 * namespace): {@code TcpExt: ListenOverflows} (a connection completed its handshake while the accept queue
 * was full) and {@code ListenDrops} (handshakes dropped for any reason, overflows included), counted since the
 * namespace was created.
 */
record NetStat(OptionalLong listenOverflows, OptionalLong listenDrops) {
    static NetStat read() {
        try {
            String[] lines = new String(Files.readAllBytes(Paths.get("/proc/thread-self/net/netstat")),
                    StandardCharsets.US_ASCII).split("\n");
            for (int i = 0; i + 1 < lines.length; i++) {
                if (lines[i].startsWith("TcpExt:") && lines[i + 1].startsWith("TcpExt:")) {
                    String[] names = lines[i].trim().split("\\s+");
                    String[] values = lines[i + 1].trim().split("\\s+");
                    return new NetStat(value(names, values, "ListenOverflows"), value(names, values, "ListenDrops"));
                }
            }
        } catch (IOException | RuntimeException e) {
            // reported as unknown
        }
        return new NetStat(OptionalLong.empty(), OptionalLong.empty());
    }

    private static OptionalLong value(String[] names, String[] values, String name) {
        for (int i = 1; i < names.length && i < values.length; i++) {
            if (names[i].equals(name)) {
                return OptionalLong.of(Long.parseLong(values[i]));
            }
        }
        return OptionalLong.empty();
    }
}
