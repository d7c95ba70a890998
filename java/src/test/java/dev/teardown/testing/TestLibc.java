package dev.teardown.testing;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/**
 * libc functions only tests need (thread ids, namespace files, entering namespaces), JNA direct-mapped whatever
 * teardown's binding is; read errno after them with {@link #errno()}, not {@code Libc.errno()}. Linux only.
 */
public final class TestLibc {
    private TestLibc() {}

    static {
        Native.register(TestLibc.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    public static final int O_RDONLY = 0;
    public static final int O_CLOEXEC = 0x80000;
    public static final int CLONE_NEWNET = 0x40000000;

    public static native int gettid();

    public static native int open(String path, int flags);

    public static native int unshare(int flags);

    public static native int setns(int fd, int nstype);

    public static native int close(int fd);

    /** errno after a call of this class. */
    public static int errno() {
        return Native.getLastError();
    }
}
