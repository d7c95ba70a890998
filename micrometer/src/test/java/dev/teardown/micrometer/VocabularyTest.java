package dev.teardown.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.teardown.CloseMode;
import dev.teardown.TcpListener;
import dev.teardown.TcpSocket;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The binder, scraped as Prometheus scrapes it, and {@code teardown doctor --prometheus} (the doctor's jar, run as a
 * separate process) name the same things the same way: the state label {@code network_connection_state} with
 * OpenTelemetry's values, and this process's sockets under {@code teardown_process_connection_count} with the same
 * counts for the states both read from held descriptors.
 */
class VocabularyTest {
    /** network.connection.state's values in the OpenTelemetry semantic conventions. */
    private static final Set<String> OTEL = new TreeSet<>(List.of("close_wait", "closed", "closing", "established",
            "fin_wait_1", "fin_wait_2", "last_ack", "listen", "syn_received", "syn_sent", "time_wait"));
    private static final Pattern SAMPLE = Pattern.compile("^(\\w+)\\{([^}]*)} (\\S+)$", Pattern.MULTILINE);

    @Test
    void theBinderAndTheDoctorUseOneVocabulary() throws Exception {
        Path jar = Path.of(System.getProperty("teardown.cli.jar", "../cli/target/teardown-cli.jar"));
        Assumptions.assumeTrue(Files.isRegularFile(jar), "needs the doctor's jar " + jar + " (build the cli module)");
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        String pid = Long.toString(ProcessHandle.current().pid());
        try (TeardownMetrics metrics = new TeardownMetrics(Duration.ZERO, List.of());
             TcpListener listener = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            metrics.bindTo(registry);
            List<TcpSocket> open = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                open.add(TcpSocket.connect(listener.localAddress()));
                open.add(listener.accept(Duration.ofSeconds(5)));
            }
            Process doctor = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-jar", jar.toString(), "doctor", "--prometheus", "--label-pid").redirectErrorStream(true).start();
            String doctored = new String(doctor.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(doctor.waitFor(60, TimeUnit.SECONDS), "the doctor did not finish");
            String scraped = registry.scrape();

            Set<String> doctorStates = new TreeSet<>();
            Map<String, String> doctorMine = new TreeMap<>();
            Map<String, String> binderMine = new TreeMap<>();
            Set<String> binderStates = new TreeSet<>();
            for (Matcher m = SAMPLE.matcher(doctored); m.find(); ) {
                String state = label(m.group(2), "network_connection_state");
                if (state != null) {
                    doctorStates.add(state);
                    if (m.group(1).equals("teardown_process_connection_count")
                            && (pid.equals(label(m.group(2), "pid")) || pid.equals(label(m.group(2), "process_pid")))) {
                        doctorMine.put(state, m.group(3));
                    }
                }
            }
            for (Matcher m = SAMPLE.matcher(scraped); m.find(); ) {
                if (m.group(1).equals("teardown_process_connection_count")) {
                    String state = label(m.group(2), "network_connection_state");
                    binderStates.add(state);
                    assertEquals("tcp", label(m.group(2), "network_transport"), m.group());
                    binderMine.put(state, m.group(3).replaceAll("\\.0$", ""));
                }
            }
            assertEquals(OTEL, binderStates, "the binder's network_connection_state values\n" + scraped);
            assertEquals(OTEL, doctorStates, "the doctor's network_connection_state values\n" + doctored);
            for (String state : List.of("established", "listen")) {
                assertEquals(doctorMine.get(state), binderMine.get(state), state + " of this process (pid " + pid
                        + "): doctor " + doctorMine + ", binder " + binderMine);
            }
            assertTrue(Integer.parseInt(binderMine.get("established")) >= 4, "this test's 4 established ends: " + binderMine);
            for (TcpSocket s : open) {
                s.close(CloseMode.ABORT);
            }
        }
    }

    private static String label(String labels, String name) {
        Matcher m = Pattern.compile("(?:^|,)" + name + "=\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(labels);
        return m.find() ? m.group(1) : null;
    }
}
