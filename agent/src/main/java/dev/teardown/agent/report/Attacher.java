package dev.teardown.agent.report;

import com.sun.tools.attach.AgentInitializationException;
import com.sun.tools.attach.AgentLoadException;
import com.sun.tools.attach.AttachNotSupportedException;
import com.sun.tools.attach.VirtualMachine;

import java.io.IOException;
import java.nio.file.Path;
import javax.management.JMException;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * Reads the agent's report out of another JVM through the Attach API: loads the agent first when asked to, then calls
 * its MBean over the JDK's local JMX connector ({@code VirtualMachine.startLocalManagementAgent()}, which accepts local
 * connections only). Reading needs no dynamic agent loading, so it works on JVMs that forbid it.
 */
public final class Attacher {
    private static final String MBEAN = "dev.teardown.agent:type=SocketSites";
    private static final String LOADED = "dev.teardown.agent";

    private Attacher() {}

    /**
     * The report of the JVM {@code pid}, or null when the agent is not loaded there and {@code load} is false.
     *
     * @param agentJar the agent jar to load when {@code load} is true
     * @param agentOptions the options it is loaded with ({@code stacks=N|all}), or null
     * @throws AttachRefused when the JVM cannot be attached to or the agent cannot be loaded; the message says what
     *     to do instead
     */
    public static String report(long pid, boolean load, Path agentJar, String agentOptions, String states,
            boolean json) throws AttachRefused {
        Target.check(pid);
        VirtualMachine vm = attach(pid);
        try {
            if (vm.getSystemProperties().getProperty(LOADED) == null) {
                if (!load) {
                    return null;
                }
                loadAgent(vm, pid, Namespaces.visibleTo(pid, agentJar), agentOptions);
                if (vm.getSystemProperties().getProperty(LOADED) == null) {
                    throw new AttachRefused("the agent did not start in pid " + pid + " (its standard error says why); "
                            + Target.INSTEAD);
                }
            }
            String address = vm.startLocalManagementAgent();
            try (JMXConnector c = JMXConnectorFactory.connect(new JMXServiceURL(address))) {
                return (String) c.getMBeanServerConnection().invoke(new ObjectName(MBEAN), "report",
                        new Object[] {states, json}, new String[] {String.class.getName(), boolean.class.getName()});
            }
        } catch (IOException | JMException e) {
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
                if (Target.carriesAgent(pid)) { // -javaagent: it records, but nothing outside it can read the records
                    throw new AttachRefused("pid " + pid + " carries the agent but refuses attach (started with"
                            + " -XX:+DisableAttachMechanism), so its records cannot be read from outside: restart it"
                            + " without that option, or read them inside it (the MBean dev.teardown.agent:type=SocketSites"
                            + " over its own JMX, or its dev.teardown.agent.CloseWait JFR events)");
                }
                throw new AttachRefused("pid " + pid + " refuses attach (started with -XX:+DisableAttachMechanism): "
                        + Target.INSTEAD);
            }
            if ((m.contains("respond") || m.contains("socket file")) && Namespaces.privateTmpSharedPids(pid)) {
                throw new AttachRefused("pid " + pid + " did not answer: it has a /tmp of its own (another mount"
                        + " namespace) but shares this PID namespace, and this JDK's Attach API then looks for it in"
                        + " this /tmp; run the reader in its mount namespace (nsenter -t " + pid + " -m -n java -jar"
                        + " teardown-agent.jar report --pid " + pid + "), or " + Target.INSTEAD);
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

    private static void loadAgent(VirtualMachine vm, long pid, Path agentJar, String options)
            throws AttachRefused, IOException {
        try {
            vm.loadAgent(agentJar.toString(), options);
        } catch (AgentLoadException e) {
            throw new AttachRefused("pid " + pid + " refused to load the agent (" + e.getMessage()
                    + "; -XX:-EnableDynamicAgentLoading?): " + Target.INSTEAD);
        } catch (AgentInitializationException e) {
            throw new AttachRefused("the agent failed to start in pid " + pid + " (" + e.getMessage() + "): "
                    + Target.INSTEAD);
        }
    }
}
