package dev.teardown.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.teardown.testing.Requirements;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * teardown starts no process: a fresh JVM whose first act is a teardown call through JNA (the binding that loads
 * libc by a library lookup) runs under {@code strace -f -e trace=execve}; the only program executed must be the
 * JVM itself (JNA's own lookup would run {@code /sbin/ldconfig -p}).
 */
class NoChildProcessTest {
    /** The child: one teardown call (a socket opened and closed through the binding), nothing else. */
    public static void main(String[] args) throws Exception {
        try (dev.teardown.TcpListener l = dev.teardown.TcpListener.bind(new java.net.InetSocketAddress(
                java.net.InetAddress.getLoopbackAddress(), 0))) {
            System.out.println("bound " + l.localAddress());
        }
    }

    @Test
    void theFirstCallThroughJnaExecutesNothing() throws Exception {
        Requirements.requireCommand("strace");
        Path log = Files.createTempFile("teardown-strace-", ".log");
        try {
            String jvm = ProcessHandle.current().info().command().orElse("java");
            Process p = new ProcessBuilder("strace", "-f", "-qq", "-e", "trace=execve", "-o", log.toString(), jvm,
                    "-Ddev.teardown.binding=jna", "-cp", System.getProperty("java.class.path"),
                    NoChildProcessTest.class.getName()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertEquals(0, p.waitFor(), out);
            assertTrue(out.contains("bound "), out);
            List<String> execs = Files.readAllLines(log).stream().filter(l -> l.contains("execve(")).collect(Collectors.toList());
            assertEquals(1, execs.size(), "programs executed (the JVM only): " + execs);
            assertTrue(execs.get(0).contains(jvm), execs.get(0));
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
