package dev.teardown.inspect;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Period;
import jdk.jfr.StackTrace;

/**
 * Periodic JFR event {@value #NAME}: this process's TCP sockets by state (the sock_diag table of the
 * recording thread's namespace matched against {@code /proc/self/fd}), plus the namespace's TIME_WAIT and
 * orphan counts, which belong to no process. Every 10 s by default ({@code dev.teardown.SocketStates#period}
 * changes it). Registered by {@link TeardownJfr#register()}; costs nothing unless a recording has it enabled.
 */
@Name(SocketStatesEvent.NAME)
@Label("TCP Sockets by State")
@Category({"teardown"})
@Description("This process's TCP sockets counted by state, and the namespace's TIME_WAIT and orphans")
@StackTrace(false)
@Period("10 s")
public final class SocketStatesEvent extends Event {
    /** The event's name in recordings. */
    public static final String NAME = "dev.teardown.SocketStates";

    /** An empty event: teardown fills and commits it. */
    public SocketStatesEvent() {
        // fields are set one by one before commit()
    }

    @Label("Established")
    int established;
    @Label("SYN Sent")
    int synSent;
    @Label("SYN Received")
    int synRecv;
    @Label("FIN_WAIT1")
    int finWait1;
    @Label("FIN_WAIT2")
    int finWait2;
    @Label("Close")
    int close;
    @Label("CLOSE_WAIT")
    @Description("The peer closed and this process has not: a growing count is a descriptor leak")
    int closeWait;
    @Label("LAST_ACK")
    int lastAck;
    @Label("Listen")
    int listen;
    @Label("Closing")
    int closing;
    @Label("Total")
    @Description("This process's TCP sockets in any state")
    int total;
    @Label("TIME_WAIT in Namespace")
    @Description("TIME_WAIT sockets of the whole network namespace (they belong to no process)")
    int namespaceTimeWait;
    @Label("Orphans in Namespace")
    @Description("Sockets of the namespace closed by every holder and still finishing (FIN_WAIT1/2, CLOSING, LAST_ACK)")
    int namespaceOrphans;
}
