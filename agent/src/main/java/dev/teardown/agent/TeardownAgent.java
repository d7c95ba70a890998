package dev.teardown.agent;

import java.lang.instrument.Instrumentation;

/**
 * The agent's entry points: {@code -javaagent:teardown-agent.jar} at start, or loaded into a running JVM through the
 * Attach API ({@code java -jar teardown-agent.jar report --pid N --attach}). From then on it records where every TCP
 * socket of the JVM is opened, and exposes the sockets left in CLOSE_WAIT with those sites: to the reader through the
 * attach channel itself (no port), as the MBean {@code dev.teardown.agent:type=SocketSites}, and as a JFR event while
 * a recording is on. Starting it never fails the JVM: anything that goes wrong is printed on one line and the JVM goes
 * on without it.
 */
public final class TeardownAgent {
    /** Set in the target JVM once the agent runs: {@code premain} or {@code attach}, then the start time in ms. */
    public static final String PROPERTY = "dev.teardown.agent";
    /** Where a report asked for through the attach channel is left: the request's nonce, a newline, the report. */
    public static final String REPORT_PROPERTY = "dev.teardown.agent.report";

    private TeardownAgent() {}

    /** Loaded with {@code -javaagent:} before {@code main}. */
    public static void premain(String args, Instrumentation inst) {
        start("premain", inst);
    }

    /**
     * Loaded into a running JVM through the Attach API. Loaded again with {@code report <nonce> <states> json|text},
     * it also leaves that report in {@link #REPORT_PROPERTY}, where the reader fetches it over the same channel.
     */
    public static void agentmain(String args, Instrumentation inst) {
        start("attach", inst);
        if (args != null && args.startsWith("report ")) {
            String[] a = args.split(" ");
            if (a.length == 4 && System.getProperty(PROPERTY) != null) {
                System.setProperty(REPORT_PROPERTY, a[1] + "\n" + SocketSites.render(a[2], a[3].equals("json")));
            }
        }
    }

    private static void start(String how, Instrumentation inst) {
        try {
            Installer.install(how, inst);
        } catch (Throwable t) {
            System.err.println("teardown-agent: not started (" + t + "); the application runs on without it");
        }
    }
}
