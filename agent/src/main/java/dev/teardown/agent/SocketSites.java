package dev.teardown.agent;

import dev.teardown.agent.report.AgentInfo;
import dev.teardown.agent.report.LeakReport;
import dev.teardown.agent.rt.Recorder;

import java.lang.management.ManagementFactory;
import java.util.Set;
import javax.management.ObjectName;

/** The MBean behind {@link SocketSitesMBean}: builds the report inside the JVM, on demand. */
final class SocketSites implements SocketSitesMBean {
    static final String NAME = "dev.teardown.agent:type=SocketSites";

    private static volatile String how = "";

    private SocketSites() {}

    static void register(String how) throws Exception {
        SocketSites.how = how;
        ManagementFactory.getPlatformMBeanServer().registerMBean(new SocketSites(), new ObjectName(NAME));
    }

    /** The report, or a line starting with {@code error: } (no exception class a JMX client might lack). */
    static String render(String states, boolean json) {
        try {
            AgentInfo info = new AgentInfo(how, Recorder.startedMillis(), Recorder.recorded(), Recorder.notTaken(),
                    Recorder.stacksPerSecond(), Recorder.failures(), Set.copyOf(Instrumenter.instrumented()),
                    Instrumenter.skipped());
            LeakReport r = LeakReport.ofThisJvm(LeakReport.states(states), info, Recorder.open());
            return json ? r.json() : r.text();
        } catch (Exception e) {
            return "error: " + e;
        }
    }

    @Override
    public String report(String states, boolean json) {
        return render(states, json);
    }

    @Override
    public long getRecorded() {
        return Recorder.recorded();
    }

    @Override
    public long getOpenRecords() {
        return Recorder.open().size();
    }
}
