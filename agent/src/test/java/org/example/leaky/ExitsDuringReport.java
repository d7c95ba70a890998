package org.example.leaky;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Not teardown-based: a JVM that exits in the middle of a report, at a point it can see for itself, so that the
 * reader meets a pid that goes away at that point and no other. {@code -Dexit.when=attach}: as soon as its attach
 * listener starts (its {@code /tmp/.java_pid<pid>} socket appears), before the reader has said anything;
 * {@code -Dexit.when=agent}: as soon as the agent the reader loaded has started, while the reader goes on to read the
 * report. Prints {@code port 0}, then waits.
 */
public final class ExitsDuringReport {
    private ExitsDuringReport() {}

    public static void main(String[] args) throws InterruptedException {
        boolean onAttach = System.getProperty("exit.when", "attach").equals("attach");
        Path listener = Path.of("/tmp/.java_pid" + ProcessHandle.current().pid());
        System.out.println("port 0");
        System.out.flush();
        while (true) {
            if (onAttach ? Files.exists(listener) : System.getProperty("dev.teardown.agent") != null) {
                Runtime.getRuntime().halt(3);
            }
            Thread.sleep(1);
        }
    }
}
