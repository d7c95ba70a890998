/**
 * The one binding to libc, and everything platform-specific: constants per OS (checked against the C headers by
 * {@code HeaderConstantsTest}), errno names, {@code sockaddr} encoding, the poller. Internal to teardown: not
 * exported, not API. One binding, two implementations: {@link dev.teardown.posix.Libc} and its siblings delegate to
 * JNA direct mapping ({@code Native.register}, static natives) on JDK 17-21, and on JDK 22+ (the multi-release
 * jar's {@code META-INF/versions/22}) to {@code java.lang.foreign} downcalls, or to JNA with
 * {@code -Ddev.teardown.binding=jna}. Nothing outside this package touches JNA or FFM.
 */
package dev.teardown.posix;
