package dev.teardown;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A plain catch-and-retry accept loop under EMFILE: a child JVM accepts in such a loop while this test holds a
 * connection in its backlog and, with prlimit(1), sets the child's descriptor limit to what it already has open (so
 * accept4 fails with EMFILE); then raises it again. The loop makes a handful of attempts a second (it spun at
 * 313k-524k before the back-off), the pauses grow and stay bounded, each one is counted and recorded in JFR, and the
 * queued connection is accepted within a pause of the limit's raise: the echo reaches this test's real client.
 */
class AcceptBackOffTest {
    private static final long WINDOW_MILLIS = 2500;

    @Test
    void aNaiveLoopUnderEmfileBacksOffAndRecovers() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/prlimit")), "needs prlimit (util-linux)");
        Path recording = Files.createTempFile("teardown-backoff", ".jfr");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Xshare:auto"));
        if (Runtime.version().feature() >= 22) {
            cmd.add("--enable-native-access=ALL-UNNAMED");
        }
        String binding = System.getProperty("dev.teardown.binding");
        if (binding != null) {
            cmd.add("-Ddev.teardown.binding=" + binding);
        }
        cmd.addAll(List.of(Child.class.getName(), recording.toString()));
        Path errors = Files.createTempFile("teardown-backoff", ".err");
        Process child = new ProcessBuilder(cmd).redirectError(errors.toFile()).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
             PrintWriter in = new PrintWriter(new OutputStreamWriter(child.getOutputStream(), StandardCharsets.UTF_8), true)) {
            String port = expect(out, "port ");
            try (Socket warmUp = new Socket(InetAddress.getLoopbackAddress(), Integer.parseInt(port))) {
                warmUp.setSoTimeout(10_000);
                assertEquals('x', warmUp.getInputStream().read(), "the warm-up echo");
            }
            expect(out, "warm");
            try (Socket client = new Socket()) {
                client.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(port)));
                long open;
                try (Stream<Path> fds = Files.list(Path.of("/proc/" + child.pid() + "/fd"))) {
                    open = fds.count();
                }
                prlimit(child.pid(), open); // no descriptor left: the queued connection makes accept4 fail with EMFILE
                in.println("go");
                Thread.sleep(WINDOW_MILLIS);
                if (!child.isAlive()) {
                    StringBuilder printed = new StringBuilder();
                    for (String line; (line = out.readLine()) != null; ) {
                        printed.append(line).append('\n');
                    }
                    throw new AssertionError("the child died under the limit (exit " + child.exitValue() + "); stdout:\n"
                            + printed + "stderr:\n" + Files.readString(errors));
                }
                prlimit(child.pid(), 20_000);
                long raised = System.nanoTime();
                client.setSoTimeout(5000);
                int echoed = client.getInputStream().read();
                long recoveredMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - raised);
                assertEquals('x', echoed, "the child's echo");

                String[] failures = expect(out, "failures ").trim().split(" ");
                String counted = expect(out, "counter ");
                String events = expect(out, "jfr ");
                List<Long> at = new ArrayList<>();
                for (String f : failures) {
                    if (!f.isEmpty()) {
                        at.add(Long.parseLong(f));
                    }
                }
                System.out.println("AcceptBackOffTest: limit at the open count for " + WINDOW_MILLIS + " ms: " + at.size()
                        + " failed accepts, at (ms after the first) " + at + "; accepted " + recoveredMillis + " ms after the limit was raised");
                assertTrue(at.size() >= 3, "the loop should have failed a few times under EMFILE: " + at);
                long span = Math.max(1, at.get(at.size() - 1) - at.get(0));
                assertTrue(at.size() <= 300 * Math.max(1, span / 1000 + 1), at.size() + " attempts in " + span + " ms: spinning");
                for (int i = 1; i < at.size(); i++) {
                    long gap = at.get(i) - at.get(i - 1);
                    long pause = TimeUnit.NANOSECONDS.toMillis(AcceptBackOff.pauseNanos(i));
                    // a sleep ends late, never early: each gap is at least its pause, which doubles up to the bound
                    assertTrue(gap >= pause, "gap " + i + " shorter than its pause of " + pause + " ms: " + at);
                    assertTrue(gap <= AcceptBackOff.MAX_MILLIS + 500, "a pause longer than the bound: " + at);
                }
                assertTrue(recoveredMillis <= AcceptBackOff.MAX_MILLIS + 500,
                        "accepted " + recoveredMillis + " ms after descriptors were available again");
                assertEquals(Integer.toString(at.size()), counted.trim(), "TcpListener.acceptBackOffs()");
                assertEquals(Integer.toString(at.size()), events.trim(), "dev.teardown.AcceptBackOff events");
            }
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the child did not exit");
            assertEquals(0, child.exitValue());
        } finally {
            child.destroyForcibly();
            Files.deleteIfExists(recording);
            System.err.print(Files.readString(errors));
            Files.deleteIfExists(errors);
        }
    }

    private static void prlimit(long pid, long soft) throws Exception {
        Process p = new ProcessBuilder("/usr/bin/prlimit", "--pid", Long.toString(pid), "--nofile=" + soft + ":20000")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, "prlimit: " + out);
    }

    private static String expect(BufferedReader out, String prefix) throws Exception {
        for (String line; (line = out.readLine()) != null; ) {
            if (line.startsWith(prefix)) {
                return line.substring(prefix.length());
            }
        }
        throw new AssertionError("the child ended before printing " + prefix);
    }

    /** The server: a plain catch-and-retry accept loop, as a user would write it. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            Recording r = new Recording();
            r.enable("dev.teardown.AcceptBackOff");
            r.start();
            // the exception's class, which a jar would hold open but target/classes does not
            Class.forName(OutOfDescriptorsException.class.getName());
            try (TcpListener listener = TcpListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                // a timed-out accept and one whole connection first: the classes of accept's failure and wait paths,
                // write and close are loaded before the limit
                try {
                    listener.accept(Duration.ofMillis(1));
                } catch (TimedOutException e) {
                    // expected: nothing connects before the port is printed
                }
                System.out.println("port " + listener.localAddress().getPort());
                TcpSocket first = listener.accept();
                first.write(ByteBuffer.wrap(new byte[] {'x'}));
                first.close(CloseMode.SHUTDOWN);
                System.out.println("warm");
                in.readLine(); // "go": a connection is queued and no descriptor is left
                long[] failures = new long[100_000];
                int n = 0;
                TcpSocket accepted;
                for (;;) {
                    try {
                        accepted = listener.accept();
                        break;
                    } catch (OutOfDescriptorsException e) {
                        if (n < failures.length) {
                            failures[n++] = System.nanoTime();
                        }
                    }
                }
                ByteBuffer x = ByteBuffer.wrap(new byte[] {'x'});
                accepted.write(x);
                accepted.close(CloseMode.SHUTDOWN);
                StringBuilder b = new StringBuilder("failures ");
                for (int i = 0; i < n; i++) {
                    b.append(TimeUnit.NANOSECONDS.toMillis(failures[i] - failures[0])).append(' ');
                }
                System.out.println(b);
                System.out.println("counter " + listener.acceptBackOffs());
            }
            r.stop();
            Path file = Path.of(args[0]);
            r.dump(file);
            r.close();
            long events = RecordingFile.readAllEvents(file).stream()
                    .filter(e -> e.getEventType().getName().equals("dev.teardown.AcceptBackOff")).count();
            System.out.println("jfr " + events);
        }
    }
}
