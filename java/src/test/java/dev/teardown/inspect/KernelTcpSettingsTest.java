package dev.teardown.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.teardown.testing.Requirements;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** KernelTcpSettings: the host's values, and a private namespace's changed values read from its own thread. */
class KernelTcpSettingsTest {

    private static long sysctl(String path) throws Exception {
        try (java.io.FileInputStream in = new java.io.FileInputStream(path)) {
            byte[] b = new byte[256];
            int n = in.read(b); // one read: integer sysctls answer nothing at a non-zero offset
            return Long.parseLong(new String(b, 0, n, StandardCharsets.US_ASCII).trim().split("\\s+")[0]);
        }
    }

    @Test
    void readsTheHostsSettings() throws Exception {
        KernelTcpSettings k = KernelTcpSettings.read();
        assertEquals(sysctl("/proc/sys/net/ipv4/tcp_fin_timeout"), k.finTimeout().getSeconds());
        assertEquals(sysctl("/proc/sys/net/ipv4/tcp_tw_reuse"), k.twReuse());
        assertEquals(sysctl("/proc/sys/net/ipv4/ip_local_port_range"), k.localPortLow());
        assertEquals(sysctl("/proc/sys/net/ipv4/tcp_max_tw_buckets"), k.maxTwBuckets());
        assertEquals(sysctl("/proc/sys/net/core/somaxconn"), k.somaxconn());
        assertEquals(sysctl("/proc/sys/net/ipv4/tcp_timestamps"), k.timestamps());
        if (Files.exists(Paths.get("/proc/sys/net/ipv4/tcp_tw_reuse_delay"))) {
            assertEquals(sysctl("/proc/sys/net/ipv4/tcp_tw_reuse_delay"), k.twReuseDelay().orElseThrow().toMillis());
        }
        List<String> advice = k.advice();
        String ports = k.localPorts() + " / 60 s = " + (k.localPorts() / 60);
        assertTrue(advice.get(0).contains(ports), advice.get(0));
        assertTrue(String.join("\n", advice).contains("only the connecting side"), String.join("\n", advice));
    }

    @Test
    void readsTheCallingThreadsNamespace() throws Exception {
        Requirements.requireRoot("a private network namespace with changed sysctls (unshare CLONE_NEWNET)");
        Requirements.requireCommand("nsenter");
        KernelTcpSettings host = KernelTcpSettings.read();
        try (NetNs ns = NetNs.create()) {
            ns.sysctl("net.ipv4.tcp_fin_timeout", "17");
            ns.sysctl("net.ipv4.tcp_tw_reuse", "1");
            ns.sysctl("net.ipv4.ip_local_port_range", "20000 20999");
            ns.sysctl("net.ipv4.tcp_max_tw_buckets", "1234");
            ns.sysctl("net.ipv4.tcp_timestamps", "0");
            ns.sysctl("net.core.somaxconn", "77");
            boolean delay = Files.exists(Paths.get("/proc/sys/net/ipv4/tcp_tw_reuse_delay"));
            if (delay) {
                ns.nsenter("sysctl", "-q", "-w", "net.ipv4.tcp_tw_reuse_delay=2500"); // the other way in
            }
            KernelTcpSettings k = ns.call(KernelTcpSettings::read);
            assertEquals(Duration.ofSeconds(17), k.finTimeout());
            assertEquals(1, k.twReuse());
            assertEquals(20000, k.localPortLow());
            assertEquals(20999, k.localPortHigh());
            assertEquals(1000, k.localPorts());
            assertEquals(1234, k.maxTwBuckets());
            assertEquals(0, k.timestamps());
            assertEquals(77, k.somaxconn());
            if (delay) {
                assertEquals(Duration.ofMillis(2500), k.twReuseDelay().orElseThrow());
            }
            assertFalse(k.maxOrphans().isPresent(), "tcp_max_orphans is global: not visible in a child namespace");

            String advice = String.join("\n", k.advice());
            assertTrue(advice.contains("1000 ephemeral ports"), advice);
            assertTrue(advice.contains("1000 / 60 s = 16 new connections per second"), advice);
            assertTrue(advice.contains("tcp_timestamps=0: tcp_tw_reuse has no effect"), advice);
            assertTrue(advice.contains("1234 / 60 s = 20 connections per second"), advice);
            assertTrue(advice.contains("after about 17 s"), advice);
            assertTrue(advice.contains("somaxconn=77"), advice);
            if (delay) {
                assertTrue(advice.contains("1000 / 2.5 s = 400 per second"), advice);
            }

            // the host, read from this thread, is unchanged
            KernelTcpSettings again = KernelTcpSettings.read();
            assertEquals(host.toString(), again.toString());
            assertTrue(again.maxOrphans().isPresent());
        }
    }

    @Test
    void finTimeoutAboveSixtySecondsDoublesTheExcess() throws Exception {
        Requirements.requireRoot("a private network namespace with changed sysctls (unshare CLONE_NEWNET)");
        Requirements.requireCommand("nsenter");
        try (NetNs ns = NetNs.create()) {
            ns.sysctl("net.ipv4.tcp_fin_timeout", "90");
            KernelTcpSettings k = ns.call(KernelTcpSettings::read);
            assertEquals(Duration.ofSeconds(60), k.orphanFinWait2Lifetime());
            assertTrue(String.join("\n", k.advice()).contains("after about 60 s (2 x (90 - 60))"));
        }
    }
}
