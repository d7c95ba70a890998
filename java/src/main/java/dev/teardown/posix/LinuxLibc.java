package dev.teardown.posix;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/** Linux-only libc functions, direct-mapped; registered only on Linux. */
public final class LinuxLibc {
    private LinuxLibc() {}

    static {
        if (Os.LINUX) {
            Native.register(LinuxLibc.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
        }
    }

    public static native int accept4(int fd, byte[] addr, int[] len, int flags);
    public static native int eventfd(int initval, int flags);
    public static native int unshare(int flags);
    public static native int setns(int fd, int nstype);
}
