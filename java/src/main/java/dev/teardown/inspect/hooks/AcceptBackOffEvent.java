package dev.teardown.inspect.hooks;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * JFR event {@value #NAME}: an accept on a {@link dev.teardown.TcpListener} failed for want of descriptors or
 * kernel memory (EMFILE, ENFILE, ENOBUFS, ENOMEM; the connection stays queued) and the accepting thread pauses
 * before the exception reaches it, longer with each failure in a row. Enabled by default in any recording; a run of
 * these events means the process is at its descriptor limit ({@code ulimit -n}) or the system at {@code fs.file-max}.
 * Not exported (configure it by its name); the count is {@link dev.teardown.TcpListener#acceptBackOffs()}.
 */
@Name(AcceptBackOffEvent.NAME)
@Label("TCP Accept Back-off")
@Category({"teardown"})
@Description("An accept failed for want of descriptors or memory; the accepting thread pauses before retrying")
@StackTrace(false)
final class AcceptBackOffEvent extends Event {
    /** The event's name in recordings. */
    public static final String NAME = "dev.teardown.AcceptBackOff";

    /** An empty event: teardown fills and commits it. */
    AcceptBackOffEvent() {
        // fields are set one by one before commit()
    }

    @Label("Listener")
    @Description("The listener's local address and port")
    String listener;

    @Label("Errno")
    @Description("What accept(2) failed with: EMFILE, ENFILE, ENOBUFS or ENOMEM")
    String errno;

    @Label("Pause")
    @Description("How long the accepting thread pauses before the exception reaches it")
    @Timespan(Timespan.NANOSECONDS)
    long pause;

    @Label("Failures in a row")
    @Description("Consecutive failed accepts on this listener, this one included")
    int consecutive;
}
