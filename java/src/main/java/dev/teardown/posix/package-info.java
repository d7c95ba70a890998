/**
 * The one binding to libc, and everything platform-specific: constants per OS, errno names,
 * {@code sockaddr} encoding. Internal to teardown: nothing here is public API, and nothing outside
 * this package touches JNA. Every function is JNA <em>direct-mapped</em> ({@code Native.register}):
 * a static native method, no interface proxy.
 */
package dev.teardown.posix;
