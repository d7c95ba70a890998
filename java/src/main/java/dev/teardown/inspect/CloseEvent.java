package dev.teardown.inspect;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * JFR event {@value #NAME}: one close through teardown, with the close mode, what went on the wire, how long
 * the close took, and the connection's addresses. Emitted by {@link TeardownJfr#closed}; costs nothing
 * unless a recording has it enabled. Enabled by default in any recording (without a threshold: one event
 * per close); set {@code dev.teardown.Close#threshold} in a .jfc to keep only slow ones.
 */
@Name(CloseEvent.NAME)
@Label("TCP Close")
@Category({"teardown"})
@Description("A TCP close through teardown: the mode and what it put on the wire")
@StackTrace(false)
public final class CloseEvent extends Event {
    /** The event's name in recordings. */
    public static final String NAME = "dev.teardown.Close";

    /** An empty event: teardown fills and commits it. */
    public CloseEvent() {
        // fields are set one by one before commit()
    }

    @Label("Mode")
    @Description("The close mode: RELEASE, SHUTDOWN, ABORT, GRACEFUL(...), LINGER(...)")
    String mode;

    @Label("Socket")
    @Description("The kind of socket closed: teardown, jdk-channel, jdk-socket, netty-epoll, netty-nio, ...")
    String socket;

    @Label("Sent")
    @Description("What the close put on the wire: NOTHING, FIN, RST, FIN_THEN_RST")
    String sent;

    @Label("Elapsed")
    @Description("Wall time of the close call, draining and lingering included")
    @Timespan(Timespan.NANOSECONDS)
    long elapsed;

    @Label("Local Address")
    String local;

    @Label("Remote Address")
    String remote;

    @Label("References Left")
    @Description("Descriptors of the socket that teardown knows are still open")
    int referencesLeft;

    @Label("Detail")
    String detail;
}
