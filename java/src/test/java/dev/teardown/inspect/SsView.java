package dev.teardown.inspect;

import dev.teardown.testing.Kernel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Turns {@code ss -tanHo} rows and {@link TcpEntry} values into comparable (local, remote, state) keys. */
final class SsView {
    private SsView() {}

    record Key(InetSocketAddress local, InetSocketAddress remote, String state) {
        @Override
        public String toString() {
            return state + " " + TcpEntry.format(local) + " " + TcpEntry.format(remote);
        }
    }

    static Set<Key> ofEntries(List<TcpEntry> entries) {
        Set<Key> out = new HashSet<>();
        for (TcpEntry e : entries) {
            out.add(new Key(e.local(), e.remote(), e.state().ssName()));
        }
        return out;
    }

    /** ss rows whose local or peer port is {@code port}. */
    static Set<Key> ofSs(List<Kernel.SsRow> rows, int port) {
        Set<Key> out = new HashSet<>();
        for (Kernel.SsRow r : rows) {
            if (r.localPort() == port || r.peerPort() == port) {
                out.add(new Key(address(r.localHost(), r.localPort()), address(r.peerHost(), r.peerPort()), r.state()));
            }
        }
        return out;
    }

    static InetSocketAddress address(String host, int port) {
        String h = host;
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        int pct = h.indexOf('%');
        if (pct >= 0) {
            h = h.substring(0, pct);
        }
        if (h.equals("*")) {
            h = "0.0.0.0";
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(h), port);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("ss printed an address that is not a literal: " + host, e);
        }
    }

    private static final Pattern TIMER = Pattern.compile("timer:\\((\\w+),(?:(\\d+)min)?(?:([\\d.]+)sec)?(?:(\\d+)ms)?");

    /** The timer expiry ss printed in a row's remainder, in milliseconds, or -1. */
    static long timerMillis(String rest) {
        Matcher m = TIMER.matcher(rest);
        if (!m.find()) {
            return -1;
        }
        double ms = 0;
        if (m.group(2) != null) {
            ms += Long.parseLong(m.group(2)) * 60_000.0;
        }
        if (m.group(3) != null) {
            ms += Double.parseDouble(m.group(3)) * 1000.0;
        }
        if (m.group(4) != null) {
            ms += Long.parseLong(m.group(4));
        }
        return (long) ms;
    }
}
