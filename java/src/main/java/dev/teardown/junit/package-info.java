/**
 * JUnit 5 support for users' tests: {@link dev.teardown.junit.NoLeakedSockets} fails a test that leaves
 * sockets in CLOSE_WAIT or leaks descriptors. Needs {@code junit-jupiter-api} on the test class path (an
 * optional dependency of teardown).
 */
package dev.teardown.junit;
