package dev.teardown.agent;

import java.lang.instrument.Instrumentation;

/**
 * The agent's entry points: {@code -javaagent:teardown-agent.jar} at start, or loaded into a running JVM through the
 * Attach API ({@code java -jar teardown-agent.jar report --pid N --attach}). From then on it records where every TCP
 * socket of the JVM is opened, and exposes the sockets left in CLOSE_WAIT with those sites in-process: as the MBean
 * {@code dev.teardown.agent:type=SocketSites} (the reader calls it through the JDK's local JMX connector), and as a JFR
 * event while a recording is on. It opens no port itself. Starting it never fails the JVM: anything that goes wrong is
 * printed on one line and the JVM goes on without it.
 */
public final class TeardownAgent {
    /** Set in the target JVM once the agent runs: {@code premain} or {@code attach}, then the start time in ms. */
    public static final String PROPERTY = "dev.teardown.agent";

    private TeardownAgent() {}

    /**
     * Loaded with {@code -javaagent:teardown-agent.jar[=stacks=N|all][,app=PREFIX:...][,lib=PREFIX:...]} before
     * {@code main}: {@code stacks} is the budget of stacks taken per second, for openings and pool leases together
     * (default 1000; beyond it a socket is recorded without its stack), {@code all} takes every one; {@code app} and
     * {@code lib} name packages that count as the application's or as library code where the jar they come from
     * would say otherwise.
     */
    public static void premain(String args, Instrumentation inst) {
        start("premain", args, inst);
    }

    /** Loaded into a running JVM through the Attach API; the same options as {@link #premain}. */
    public static void agentmain(String args, Instrumentation inst) {
        start("attach", args, inst);
    }

    private static void start(String how, String args, Instrumentation inst) {
        try {
            Installer.install(how, Installer.Options.parse(args), inst);
        } catch (Throwable t) {
            System.err.println("teardown-agent: not started (" + t + "); the application runs on without it");
        }
    }
}
