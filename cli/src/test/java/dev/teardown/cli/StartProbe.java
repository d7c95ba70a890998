package dev.teardown.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * Not a test: times the parts of the doctor's start in a fresh JVM, for benchmarks/DOCTOR-PERFORMANCE.md. Run as
 * {@code java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp cli/target/teardown-cli.jar:cli/target/test-classes
 * dev.teardown.cli.StartProbe} (add {@code --enable-native-access=ALL-UNNAMED} on a JDK 22+).
 */
public final class StartProbe {
    private StartProbe() {}

    public static void main(String[] args) {
        long t0 = System.nanoTime();
        PrintWriter sink = new PrintWriter(new StringWriter());
        picocli.CommandLine cl = Main.commandLine(sink, sink);
        long t1 = System.nanoTime();
        cl.parseArgs("doctor", "--json");
        long t2 = System.nanoTime();
        dev.teardown.inspect.TcpTable.counts(java.util.EnumSet.of(dev.teardown.TcpState.CLOSING), 0);
        long t3 = System.nanoTime();
        System.out.printf("picocli model %d ms, parse %d ms, the binding's first call (an empty sock_diag dump) %d ms%n",
                (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, (t3 - t2) / 1_000_000);
    }
}
