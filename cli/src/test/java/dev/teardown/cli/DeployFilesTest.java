package dev.teardown.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The deployment files in {@code deploy/}: the alerting rules load in Prometheus' own checker and fire as their unit
 * tests say; the DaemonSet and the systemd unit run a doctor whose options this doctor accepts, as an exporter of
 * every namespace.
 */
class DeployFilesTest {
    static final Path DEPLOY = Paths.get("..", "deploy");

    record Out(int status, String text) {}

    static Out run(Path dir, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Out(p.exitValue(), out);
    }

    @Test
    void alertRulesLoadAndFireAsTheirUnitTestsSay() throws Exception {
        Needs.tools("promtool");
        Out check = run(DEPLOY.resolve("prometheus"), "promtool", "check", "rules", "teardown-alerts.yml");
        assertEquals(0, check.status(), check.text());
        assertTrue(check.text().contains("SUCCESS: 3 rules found"), check.text());
        Out test = run(DEPLOY.resolve("prometheus"), "promtool", "test", "rules", "teardown-alerts.test.yml");
        assertEquals(0, test.status(), test.text());
        // each alert's metric is one the exporter writes
        String rules = Files.readString(DEPLOY.resolve("prometheus/teardown-alerts.yml"));
        for (String metric : List.of("system_network_connection_count", "teardown_destination_ephemeral_ports_used_ratio",
                "teardown_tcp_listen_overflows_total")) {
            assertTrue(rules.contains(metric), metric);
            String base = metric.replace("_total", "");
            assertTrue(Files.readString(Paths.get("src/main/java/dev/teardown/cli/PrometheusReport.java")).contains("\"" + base + "\""),
                    metric + " is not written by PrometheusReport");
        }
    }

    @Test
    void theDaemonSetRunsTheExporterOfEveryNamespaceWithOptionsTheDoctorAccepts() throws Exception {
        Needs.tools("python3");
        Out yaml = run(Paths.get("."), "python3", "-c", "import sys, yaml\n"
                + "d = yaml.safe_load(open(sys.argv[1]))\n"
                + "s = d['spec']['template']['spec']\n"
                + "c = s['containers'][0]\n"
                + "print(d['kind'], s['hostPID'], s['hostNetwork'], ','.join(c['securityContext']['capabilities']['add']))\n"
                + "print('\\x1f'.join(c['command'] + c['args']))\n"
                + "print(c['ports'][0]['containerPort'], d['spec']['template']['metadata']['annotations']['prometheus.io/port'])",
                DEPLOY.resolve("kubernetes/teardown-doctor-daemonset.yaml").toString());
        assertEquals(0, yaml.status(), yaml.text());
        String[] lines = yaml.text().split("\n");
        assertEquals("DaemonSet True True SYS_ADMIN,SYS_PTRACE", lines[0]);
        List<String> cmd = Arrays.asList(lines[1].split("\u001f"));
        assertEquals("9464 9464", lines[2]);
        assertExporterCommand(cmd, "0.0.0.0:9464");
    }

    @Test
    void theSystemdUnitRunsTheSameExporter() throws Exception {
        Path unit = DEPLOY.resolve("systemd/teardown-doctor.service");
        String exec = Files.readAllLines(unit).stream().filter(l -> l.startsWith("ExecStart=")).findFirst().orElseThrow();
        assertExporterCommand(Arrays.asList(exec.substring("ExecStart=".length()).split(" ")), "0.0.0.0:9464");
        if (Files.isExecutable(Paths.get("/usr/bin/systemd-analyze"))) {
            Out verify = run(Paths.get("."), "systemd-analyze", "verify", unit.toString());
            assertEquals(0, verify.status(), verify.text());
        } else {
            System.out.println("SKIPPED (part): systemd-analyze verify: no /usr/bin/systemd-analyze here");
        }
    }

    /** java ... -jar /opt/teardown/teardown-cli.jar doctor OPTIONS, whose OPTIONS this doctor's parser accepts. */
    private static void assertExporterCommand(List<String> cmd, String serve) {
        int jar = cmd.indexOf("-jar");
        assertTrue(cmd.get(0).endsWith("java") && jar > 0 && cmd.get(jar + 1).equals("/opt/teardown/teardown-cli.jar"), cmd.toString());
        List<String> args = new ArrayList<>(cmd.subList(jar + 2, cmd.size()));
        assertEquals("doctor", args.get(0));
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(err));
        CommandLine.ParseResult parsed = cl.parseArgs(args.toArray(new String[0]));
        CommandLine.ParseResult doctor = parsed.subcommand();
        assertEquals("all", doctor.matchedOptionValue("--netns", ""));
        assertEquals(serve, doctor.matchedOptionValue("--serve", ""));
        assertTrue(doctor.hasMatchedOption("--min-interval"));
    }
}
