package dev.teardown.agent;

import dev.teardown.agent.report.KernelSocket;
import dev.teardown.agent.report.ProcSockets;
import dev.teardown.agent.rt.Recorder;
import dev.teardown.agent.rt.SocketRecord;

import java.util.Map;
import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.FlightRecorder;
import jdk.jfr.FlightRecorderListener;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Period;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * One JFR event per socket of this JVM found in CLOSE_WAIT, emitted periodically (every 10 s by default) and only
 * while a recording has it enabled: the scan of {@code /proc/self} costs nothing when nobody records, and the event is
 * registered only once Flight Recorder is initialized, so the agent itself never starts JFR.
 */
@Name(CloseWaitEvent.NAME)
@Label("Socket in CLOSE_WAIT")
@Description("A TCP socket of this JVM whose peer has closed and which this JVM has not, with the code that opened it")
@Category({"teardown"})
@Period("10 s")
@StackTrace(false)
final class CloseWaitEvent extends Event {
    static final String NAME = "dev.teardown.agent.CloseWait";

    @Label("Descriptor")
    int fd;

    @Label("Local Address")
    String local;

    @Label("Remote Address")
    String remote;

    @Label("Unread Bytes")
    long unread;

    @Label("Age")
    @Description("Time since the socket was opened; 0 when it was opened before the agent")
    @Timespan(Timespan.MILLISECONDS)
    long age;

    @Label("Opened At")
    @Description("The code that opened the socket, innermost frame first; empty when opened before the agent")
    String site;

    static void register() {
        try {
            FlightRecorder.addListener(new FlightRecorderListener() {
                @Override
                public void recorderInitialized(FlightRecorder recorder) {
                    FlightRecorder.addPeriodicEvent(CloseWaitEvent.class, CloseWaitEvent::emit);
                }
            });
        } catch (Throwable t) {
            // a runtime without jdk.jfr: the MBean still works
        }
    }

    private static void emit() {
        try {
            Map<Integer, SocketRecord> records = Recorder.open();
            long now = System.currentTimeMillis();
            for (KernelSocket s : ProcSockets.of("self", "CLOSE_WAIT"::equals)) {
                SocketRecord r = records.get(s.fd());
                CloseWaitEvent e = new CloseWaitEvent();
                e.fd = s.fd();
                e.local = s.local();
                e.remote = s.remote();
                e.unread = s.recvQ();
                e.age = r == null || !r.seenOpened() ? 0 : now - r.openedMillis();
                e.site = r == null || r.site() == null ? ""
                        : String.join("\n", r.site().frames().stream().map(String::valueOf).toList());
                e.commit();
            }
        } catch (Exception e) {
            // a /proc that cannot be read: nothing to emit
        }
    }
}
