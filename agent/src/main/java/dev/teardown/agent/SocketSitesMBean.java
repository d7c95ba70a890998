package dev.teardown.agent;

/**
 * The agent's report as an MBean, {@code dev.teardown.agent:type=SocketSites}, for JMX consoles and in-process use.
 * (The reader does not need it: it fetches the same report through the attach channel, so no JMX port is started.)
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
}
