package dev.teardown.agent.report;

import com.sun.tools.attach.AgentInitializationException;
import com.sun.tools.attach.AgentLoadException;
import com.sun.tools.attach.AttachNotSupportedException;
import com.sun.tools.attach.VirtualMachine;

import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Properties;

/**
 * Reads the agent's report out of another JVM through the Attach API alone: the agent jar is loaded again with a
 * report request, and the agent leaves the report in a system property read back over the same local channel. No JMX
 * connector or other port is started in the target.
 */
public final class Attacher {
    private static final String LOADED = "dev.teardown.agent";
    private static final String REPORT = "dev.teardown.agent.report";
    private static final SecureRandom NONCES = new SecureRandom();

    private Attacher() {}

    /**
     * The report of the JVM {@code pid}, or null when the agent is not loaded there and {@code load} is false.
     *
     * @param agentJar the agent jar (loaded to start the agent, and to ask it for the report)
     * @throws AttachRefused when the JVM cannot be attached to or the agent cannot be loaded; the message says what
     *     to do instead
     */
    public static String report(long pid, boolean load, Path agentJar, String states, boolean json)
            throws AttachRefused {
        Target.check(pid);
        VirtualMachine vm = attach(pid);
        try {
            if (vm.getSystemProperties().getProperty(LOADED) == null && !load) {
                return null;
            }
            String nonce = Long.toHexString(NONCES.nextLong() & Long.MAX_VALUE);
            loadAgent(vm, pid, agentJar, "report " + nonce + " " + states + " " + (json ? "json" : "text"));
            Properties p = vm.getSystemProperties();
            if (p.getProperty(LOADED) == null) {
                throw new AttachRefused("the agent did not start in pid " + pid + " (its standard error says why); "
                        + Target.INSTEAD);
            }
            String report = p.getProperty(REPORT, "");
            if (!report.startsWith(nonce + "\n")) {
                throw new AttachRefused("pid " + pid + " did not leave the report (another report at the same time?):"
                        + " try again");
            }
            return report.substring(nonce.length() + 1);
        } catch (IOException e) {
            throw new AttachRefused("attached to pid " + pid + " but could not read the report: " + e);
        } finally {
            try {
                vm.detach();
            } catch (IOException e) {
                // the report is read; nothing to undo
            }
        }
    }
    private static VirtualMachine attach(long pid) throws AttachRefused {
        try {
            return VirtualMachine.attach(String.valueOf(pid));
        } catch (AttachNotSupportedException e) {
            String m = String.valueOf(e.getMessage());
            if (m.contains("does not support the attach mechanism")) {
                throw new AttachRefused("pid " + pid + " refuses attach (started with -XX:+DisableAttachMechanism): "
                        + Target.INSTEAD);
            }
            if (m.contains("respond") || m.contains("socket file")) {
                throw new AttachRefused("pid " + pid + " did not answer the attach request (-XX:+DisableAttachMechanism,"
                        + " or a JVM without the attach listener): " + Target.INSTEAD);
            }
            throw new AttachRefused("attach to pid " + pid + " refused (" + m + "): " + Target.INSTEAD);
        } catch (IOException e) {
            throw new AttachRefused("attach to pid " + pid + " failed (" + e.getMessage() + "): " + Target.INSTEAD);
        }
    }

    private static void loadAgent(VirtualMachine vm, long pid, Path agentJar, String args)
            throws AttachRefused, IOException {
        try {
            vm.loadAgent(agentJar.toString(), args);
        } catch (AgentLoadException e) {
            throw new AttachRefused("pid " + pid + " refused to load the agent (" + e.getMessage()
                    + "; -XX:-EnableDynamicAgentLoading?): " + Target.INSTEAD);
        } catch (AgentInitializationException e) {
            throw new AttachRefused("the agent failed to start in pid " + pid + " (" + e.getMessage() + "): "
                    + Target.INSTEAD);
        }
    }
}
