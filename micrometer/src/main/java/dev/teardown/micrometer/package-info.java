/**
 * Micrometer metrics for what this JVM does to TCP (artifact {@code teardown-micrometer}; Micrometer is provided by the
 * application): {@link dev.teardown.micrometer.TeardownMetrics}, a {@code MeterBinder} with this process's sockets by
 * OpenTelemetry's {@code network.connection.state} (the TIME_WAIT and orphans it caused included), its closes by mode
 * and by what went on the wire, the age and unread bytes of its CLOSE_WAIT sockets, and its listeners' accept
 * back-offs, under the names {@code teardown doctor --prometheus} uses.
 *
 * <p><b>Kernel effect.</b> None: the binder only reads (one sock_diag dump of the namespace's table and one scan of
 * {@code /proc/self/fd} per reading, at most once per {@code maxAge}).
 */
package dev.teardown.micrometer;
