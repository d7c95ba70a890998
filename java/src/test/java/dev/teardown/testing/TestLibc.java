package dev.teardown.testing;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/** libc functions only tests need (thread ids and namespace files), direct-mapped. Linux only. */
public final class TestLibc {
    private TestLibc() {}

    static {
        Native.register(TestLibc.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    public static final int O_RDONLY = 0;
    public static final int O_CLOEXEC = 0x80000;

    public static native int gettid();

    public static native int open(String path, int flags);
}
