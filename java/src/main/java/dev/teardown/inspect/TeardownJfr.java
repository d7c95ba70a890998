package dev.teardown.inspect;

import dev.teardown.CloseOutcome;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Recording;
import jdk.jfr.RecordingState;

/**
 * teardown's JDK Flight Recorder events: {@link CloseEvent} for every close through teardown and the periodic
 * {@link SocketStatesEvent}. Both cost nothing unless a recording is on.
 *
 * <p><b>Registration of the periodic event.</b> {@link FlightRecorder#addPeriodicEvent} (and even
 * {@code FlightRecorder.addListener}) loads and initializes parts of JFR, 20-40 ms that a process recording
 * nothing should not pay on its first close. So registration happens, once, on {@link #register()}, on
 * {@link CloseWaitWatch#start}, and automatically on the first {@link #closeEventsEnabled()} call after JFR has
 * been initialized in this JVM by someone else (a recording started by {@code -XX:StartFlightRecording},
 * {@code jcmd JFR.start} or {@code new Recording()}): in practice the first close through teardown during a
 * recording registers it, and recordings already running pick it up at once. Call {@link #register()} at
 * start-up to have the counts from the first period of every recording.
 */
public final class TeardownJfr {
    private TeardownJfr() {}

    private static volatile boolean registered;

    /**
     * Registers the periodic {@link SocketStatesEvent}. Idempotent; cheap after the first call. Recordings
     * already running pick it up at once.
     */
    public static void register() {
        if (registered) {
            return;
        }
        synchronized (TeardownJfr.class) {
            if (registered) {
                return;
            }
            FlightRecorder.addPeriodicEvent(SocketStatesEvent.class, TeardownJfr::emitSocketStates);
            registered = true;
        }
        if (FlightRecorder.isInitialized()) {
            // A hook added while a recording runs gets that recording's period only at the next settings
            // update; setting a running recording's own settings again is that update, and changes nothing else.
            for (Recording r : FlightRecorder.getFlightRecorder().getRecordings()) {
                if (r.getState() == RecordingState.RUNNING) {
                    r.setSettings(r.getSettings());
                }
            }
        }
    }

    /** True once the periodic event is registered. */
    public static boolean isRegistered() {
        return registered;
    }

    /**
     * True if a recording wants {@link CloseEvent}s now. One static read while JFR has never been initialized
     * in this JVM. Call it before the close to decide whether to capture the local address for the event.
     */
    public static boolean closeEventsEnabled() {
        if (!FlightRecorder.isInitialized()) {
            return false;
        }
        if (!registered) {
            register();
        }
        return new CloseEvent().isEnabled();
    }

    /**
     * Emits one {@link CloseEvent} for {@code outcome}, if a recording wants it. {@code local} and
     * {@code remote} may be null when unknown. Never throws.
     */
    public static void closed(CloseOutcome outcome, InetSocketAddress local, InetSocketAddress remote) {
        if (outcome == null || !FlightRecorder.isInitialized()) {
            return;
        }
        CloseEvent e = new CloseEvent();
        if (!e.shouldCommit()) {
            return;
        }
        e.mode = outcome.mode().toString();
        e.sent = outcome.sent().name();
        e.elapsed = outcome.elapsedNanos();
        e.local = local == null ? null : TcpEntry.format(local);
        e.remote = remote == null ? null : TcpEntry.format(remote);
        e.referencesLeft = outcome.referencesLeft();
        e.detail = outcome.detail();
        e.commit();
    }

    /** The periodic hook: counts this process's sockets by state. */
    static void emitSocketStates() {
        SocketStatesEvent e = new SocketStatesEvent();
        if (!e.isEnabled()) {
            return;
        }
        List<TcpEntry> all = TcpTable.snapshot();
        Map<Long, List<Integer>> own = OwnSockets.inodes();
        for (TcpEntry t : all) {
            if (t.inode() == 0) {
                if (t.state() == TcpState.TIME_WAIT) {
                    e.namespaceTimeWait++;
                } else if (t.state() != TcpState.LISTEN && t.state() != TcpState.SYN_RECV) {
                    e.namespaceOrphans++;
                }
                continue;
            }
            if (!own.containsKey(t.inode())) {
                continue;
            }
            e.total++;
            switch (t.state()) {
                case ESTABLISHED -> e.established++;
                case SYN_SENT -> e.synSent++;
                case SYN_RECV, NEW_SYN_RECV -> e.synRecv++;
                case FIN_WAIT1 -> e.finWait1++;
                case FIN_WAIT2 -> e.finWait2++;
                case CLOSE -> e.close++;
                case CLOSE_WAIT -> e.closeWait++;
                case LAST_ACK -> e.lastAck++;
                case LISTEN -> e.listen++;
                case CLOSING -> e.closing++;
                default -> { }
            }
        }
        e.commit();
    }
}
