package dev.teardown.cli;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code doctor --pid}: the agent's report through the doctor, and its refusals. */
class DoctorPidTest {
    record Run(int status, String out, String err) {}

    static Run doctor(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String[] all = new String[args.length + 1];
        all[0] = "doctor";
        System.arraycopy(args, 0, all, 1, args.length);
        int status = Main.run(all, out, err);
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void namesTheLineThatOpenedTheLeakedSockets() throws Exception {
        List<String> src = Files.readAllLines(Path.of("src/test/java/dev/teardown/cli/LeakyAcceptor.java"));
        int line = 1 + src.indexOf(src.stream().filter(l -> l.contains("// LEAK")).findFirst().orElseThrow());
        Process app = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", Path.of("target", "test-classes").toString(), LeakyAcceptor.class.getName()).start();
        try {
            String first = new BufferedReader(new InputStreamReader(app.getInputStream(), StandardCharsets.UTF_8)).readLine();
            int port = Integer.parseInt(first.substring(5));
            String pid = String.valueOf(app.pid());

            Run attached = doctor("--pid", pid, "--attach");
            assertEquals(0, attached.status(), attached.err());
            for (int i = 0; i < 4; i++) { // the first completes the accept that was waiting before the agent came
                new Socket(InetAddress.getLoopbackAddress(), port).close();
            }
            String site = "dev.teardown.cli.LeakyAcceptor.main(LeakyAcceptor.java:" + line + ")";
            Run r = doctor("--pid", pid);
            for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                    !r.out().contains("3 in CLOSE_WAIT") && System.nanoTime() < end; ) {
                Thread.sleep(100);
                r = doctor("--pid", pid);
            }
            assertEquals(0, r.status(), r.err());
            assertTrue(r.out().contains("3 in CLOSE_WAIT") && r.out().contains("at " + site), r.out());
            Run json = doctor("--pid", pid, "--json", "--state", "close-wait");
            assertTrue(json.out().startsWith("{\"pid\":" + pid) && json.out().contains("\"site\":[\"" + site), json.out());
        } finally {
            app.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void refusalsAndWrongOptions() throws Exception {
        Process sleep = new ProcessBuilder("sleep", "30").start();
        try {
            Run notJvm = doctor("--pid", String.valueOf(sleep.pid()));
            assertEquals(2, notJvm.status(), notJvm.err());
            assertTrue(notJvm.err().contains("is not a Java VM"), notJvm.err());
        } finally {
            sleep.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        Run badState = doctor("--pid", "1", "--state", "closed");
        assertEquals(2, badState.status());
        assertTrue(badState.err().contains("Invalid value for option '--state'"), badState.err());
        Run noPid = doctor("--attach");
        assertEquals(2, noPid.status());
        assertTrue(noPid.err().contains("--attach needs --pid"), noPid.err());
        Run mixed = doctor("--pid", "1", "--prometheus");
        assertEquals(2, mixed.status());
    }
}
