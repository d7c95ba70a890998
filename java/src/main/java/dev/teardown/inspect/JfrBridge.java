package dev.teardown.inspect;

import dev.teardown.TcpState;
import dev.teardown.CloseOutcome;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Recording;
import jdk.jfr.RecordingState;

/**
 * Everything that touches {@code jdk.jfr}, loaded only when that module is present (a jlinked runtime, or a
 * named application module that does not require it, may lack it): {@link TeardownJfr} checks first.
 */
final class JfrBridge {
    private JfrBridge() {}

    private static volatile boolean registered;

    static boolean isRegistered() {
        return registered;
    }

    static void register() {
        if (registered) {
            return;
        }
        synchronized (JfrBridge.class) {
            if (registered) {
                return;
            }
            FlightRecorder.addPeriodicEvent(SocketStatesEvent.class, JfrBridge::emitSocketStates);
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

    static boolean closeEventsEnabled() {
        if (!FlightRecorder.isInitialized()) {
            return false;
        }
        if (!registered) {
            register();
        }
        return new CloseEvent().isEnabled();
    }

    static void closed(CloseOutcome outcome, InetSocketAddress local, InetSocketAddress remote) {
        if (!FlightRecorder.isInitialized()) {
            return;
        }
        CloseEvent e = new CloseEvent();
        if (!e.shouldCommit()) {
            return;
        }
        e.mode = outcome.mode().toString();
        e.socket = outcome.socketKind();
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
