package dev.teardown.inspect;

import dev.teardown.CloseOutcome;
import java.net.InetSocketAddress;

/**
 * teardown's JDK Flight Recorder events: {@link CloseEvent} for every close through teardown and the periodic
 * {@link SocketStatesEvent}. Both cost nothing unless a recording is on.
 *
 * <p><b>Registration of the periodic event.</b> {@link jdk.jfr.FlightRecorder#addPeriodicEvent} (and even
 * {@code FlightRecorder.addListener}) loads and initializes parts of JFR, 20-40 ms that a process recording
 * nothing should not pay on its first close. So registration happens, once, on {@link #register()}, on
 * {@link CloseWaitWatch#start}, and automatically on the first {@link #closeEventsEnabled()} call after JFR has
 * been initialized in this JVM by someone else (a recording started by {@code -XX:StartFlightRecording},
 * {@code jcmd JFR.start} or {@code new Recording()}): in practice the first close through teardown during a
 * recording registers it, and recordings already running pick it up at once. Call {@link #register()} at
 * start-up to have the counts from the first period of every recording.
 *
 * <p><b>Without JFR.</b> Where the {@code jdk.jfr} module is absent (a jlinked runtime without it, or a named
 * application module that does not require it), every method here does nothing and reports false; nothing
 * from {@code jdk.jfr} is loaded.
 */
public final class TeardownJfr {
    private TeardownJfr() {}

    private static final boolean AVAILABLE = detect();

    private static boolean detect() {
        try {
            Class.forName("jdk.jfr.FlightRecorder", false, TeardownJfr.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** True if this JVM has the {@code jdk.jfr} module, so that events can be recorded at all. */
    public static boolean isAvailable() {
        return AVAILABLE;
    }

    /**
     * Registers the periodic {@link SocketStatesEvent}. Idempotent; cheap after the first call. Recordings
     * already running pick it up at once. Does nothing without {@code jdk.jfr}.
     */
    public static void register() {
        if (AVAILABLE) {
            JfrBridge.register();
        }
    }

    /** True once the periodic event is registered. */
    public static boolean isRegistered() {
        return AVAILABLE && JfrBridge.isRegistered();
    }

    /**
     * True if a recording wants {@link CloseEvent}s now, or a {@link CloseListeners} listener is registered.
     * Three static reads while JFR has never been initialized in this JVM and no listener is registered. Call it
     * before the close to decide whether to capture the local address for the event.
     */
    public static boolean closeEventsEnabled() {
        return CloseListeners.any() || AVAILABLE && JfrBridge.closeEventsEnabled();
    }

    /**
     * Tells the {@link CloseListeners} of {@code outcome} and emits one {@link CloseEvent} for it, if a recording
     * wants it. {@code local} and {@code remote} may be null when unknown. Never throws.
     */
    public static void closed(CloseOutcome outcome, InetSocketAddress local, InetSocketAddress remote) {
        if (outcome == null) {
            return;
        }
        CloseListeners.fire(outcome);
        if (AVAILABLE) {
            JfrBridge.closed(outcome, local, remote);
        }
    }
}
