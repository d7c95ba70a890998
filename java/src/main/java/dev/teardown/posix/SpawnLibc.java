package dev.teardown.posix;

import com.sun.jna.Function;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * posix_spawn and process control, direct-mapped. The posix_spawn functions return an error number
 * instead of setting errno. {@code posix_spawn_file_actions_addclosefrom_np} (glibc 2.34+) is looked
 * up at run time, since older libcs lack it.
 */
public final class SpawnLibc {
    private SpawnLibc() {}

    private static final NativeLibrary C;

    static {
        C = Os.KIND != Os.Kind.UNSUPPORTED ? NativeLibrary.getInstance(Platform.C_LIBRARY_NAME) : null;
        if (C != null) {
            Native.register(SpawnLibc.class, C);
        }
    }

    /** Bytes to allocate for posix_spawn_file_actions_t / posix_spawnattr_t / sigset_t (generous). */
    public static final int OPAQUE_SIZE = 1024;
    public static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    public static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    public static final int SIGKILL = 9;
    public static final int SIGTERM = 15;
    public static final int O_RDWR = 2;

    public static native int posix_spawn_file_actions_init(Pointer fa);
    public static native int posix_spawn_file_actions_destroy(Pointer fa);
    public static native int posix_spawn_file_actions_adddup2(Pointer fa, int fd, int newfd);
    public static native int posix_spawn_file_actions_addclose(Pointer fa, int fd);
    public static native int posix_spawn_file_actions_addopen(Pointer fa, int fd, String path, int oflag, int mode);
    public static native int posix_spawnattr_init(Pointer attr);
    public static native int posix_spawnattr_destroy(Pointer attr);
    public static native int posix_spawnattr_setflags(Pointer attr, short flags);
    public static native int posix_spawnattr_setsigmask(Pointer attr, Pointer sigset);
    public static native int posix_spawnattr_setsigdefault(Pointer attr, Pointer sigset);
    public static native int sigemptyset(Pointer set);
    public static native int sigfillset(Pointer set);
    public static native int posix_spawnp(int[] pid, String file, Pointer fileActions, Pointer attr, Pointer argv, Pointer envp);
    public static native int waitpid(int pid, int[] status, int options);
    public static native int kill(int pid, int sig);

    /**
     * posix_spawn_file_actions_addclosefrom_np(fa, from) where libc has it. Returns 0 on success, the
     * error number on failure, or -1 when the function does not exist.
     */
    public static int addCloseFrom(Pointer fa, int from) {
        Function f;
        try {
            f = C.getFunction("posix_spawn_file_actions_addclosefrom_np");
        } catch (UnsatisfiedLinkError e) {
            return -1;
        }
        return f.invokeInt(new Object[] {fa, from});
    }
}
