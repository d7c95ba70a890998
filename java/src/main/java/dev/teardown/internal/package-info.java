/**
 * Internal to teardown, not exported: the few hooks through which the core and the packages above it meet without
 * importing each other (where sockets were opened, the spawn package's access to a socket's descriptor, what a
 * close reports upwards). Depends on nothing in teardown, so it adds no edge to the layers
 * ({@code posix} &lt;- core &lt;- {@code inspect}, {@code spawn}, {@code junit}).
 */
package dev.teardown.internal;
