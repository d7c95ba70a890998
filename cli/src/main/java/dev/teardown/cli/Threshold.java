package dev.teardown.cli;

import dev.teardown.TcpState;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code --fail-if} condition such as {@code close-wait>100}: a metric, a comparison and a number. Metrics:
 * a state ({@code close-wait}, {@code time-wait}, {@code established}, ...: sockets in it), {@code orphans}
 * (orphaned FIN_WAIT2), {@code close-wait-age} (seconds since the oldest known peer FIN), {@code port-use}
 * (largest share of the ephemeral range used towards one destination, percent), {@code accept-queue} (fullest
 * accept queue, percent of its backlog), {@code listen-overflows} (the kernel's counter), {@code sockets}.
 */
record Threshold(String text, String metric, String op, double limit) {
    private static final Pattern SYNTAX = Pattern.compile("([a-z0-9-]+)\\s*(>=|<=|>|<|=)\\s*([0-9]+(?:\\.[0-9]+)?)");

    static final String METRICS = "a state (close-wait, time-wait, fin-wait-1, fin-wait-2, last-ack, closing, established,"
            + " syn-sent, syn-recv, listen), orphans, close-wait-age (seconds), port-use (percent), accept-queue (percent), listen-overflows, sockets";

    /** Parses {@code text}; throws IllegalArgumentException naming what is wrong. */
    static Threshold parse(String text) {
        Matcher m = SYNTAX.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not METRIC>N (also >=, <, <=, =), e.g. close-wait>100");
        }
        String metric = m.group(1);
        if (state(metric) == null && !metric.equals("orphans") && !metric.equals("close-wait-age") && !metric.equals("port-use")
                && !metric.equals("accept-queue") && !metric.equals("listen-overflows") && !metric.equals("sockets")) {
            throw new IllegalArgumentException("unknown metric '" + metric + "' in '" + text + "'; metrics: " + METRICS);
        }
        return new Threshold(text.trim(), metric, m.group(2), Double.parseDouble(m.group(3)));
    }

    private static TcpState state(String metric) {
        for (TcpState s : TcpState.values()) {
            if (s != TcpState.NEW_SYN_RECV && Text.stateName(s).equals(metric)) {
                return s;
            }
        }
        return null;
    }

    /** The metric's value in {@code c}. */
    double value(Census c) {
        TcpState s = state(metric);
        if (s != null) {
            return c.count(s);
        }
        return switch (metric) {
            case "orphans" -> c.orphanFinWait2;
            case "close-wait-age" -> c.maxCloseWaitAgeSeconds();
            case "port-use" -> c.maxPortUsePercent();
            case "accept-queue" -> c.maxAcceptQueuePercent();
            case "listen-overflows" -> c.netstat.listenOverflows().orElse(0);
            case "sockets" -> c.total;
            default -> throw new AssertionError(metric);
        };
    }

    /** True if the condition holds in {@code c}: the alert fires. */
    boolean crossed(Census c) {
        double v = value(c);
        return switch (op) {
            case ">" -> v > limit;
            case ">=" -> v >= limit;
            case "<" -> v < limit;
            case "<=" -> v <= limit;
            default -> v == limit;
        };
    }
}
