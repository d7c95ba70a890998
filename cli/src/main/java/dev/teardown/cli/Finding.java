package dev.teardown.cli;

/**
 * One line of the report's conclusions: what is wrong, who holds it (pid and escaped command, or none when
 * the kernel holds it alone), and what to do.
 *
 * @param severity "critical", "warning" or "info"
 * @param kind a stable name for machines: close-wait, close-wait-unowned, orphan-fin-wait-2, unacked-fin,
 *     time-wait-ports, accept-queue, listen-overflows, blind-spot
 */
record Finding(String severity, String kind, long pid, String command, String message) {
    static final long NO_PID = -1;
}
