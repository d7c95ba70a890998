package dev.teardown.agent;

/**
 * The agent's report as an MBean, {@code dev.teardown.agent:type=SocketSites}: what the reader calls through the JDK's
 * local JMX connector, and what a JMX console can call too.
 */
public interface SocketSitesMBean {
    /**
     * This JVM's TCP sockets in the given states, grouped by the code that opened them.
     *
     * @param states {@code close-wait}, {@code all}, or a comma-separated list of states
     * @param json true for one JSON document, false for text
     */
    String report(String states, boolean json);

    /** Sockets recorded since the agent started. */
    long getRecorded();

    /** Records held now: the sockets opened since the agent started that it has not seen closed. */
    long getOpenRecords();
}
