package dev.teardown.posix;

import com.sun.jna.Function;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/** The JNA implementation of {@link SpawnLibc}, direct-mapped; opaque structs and string arrays by address. */
final class JnaSpawnLibc {
    private JnaSpawnLibc() {}

    private static final NativeLibrary C;

    static {
        C = Os.KIND != Os.Kind.UNSUPPORTED ? JnaLibraries.libc() : null;
        if (C != null) {
            Native.register(JnaSpawnLibc.class, C);
        }
    }

    static native int posix_spawn_file_actions_init(long fa);
    static native int posix_spawn_file_actions_destroy(long fa);
    static native int posix_spawn_file_actions_adddup2(long fa, int fd, int newfd);
    static native int posix_spawn_file_actions_addclose(long fa, int fd);
    static native int posix_spawn_file_actions_addopen(long fa, int fd, String path, int oflag, int mode);
    static native int posix_spawnattr_init(long attr);
    static native int posix_spawnattr_destroy(long attr);
    static native int posix_spawnattr_setflags(long attr, short flags);
    static native int posix_spawnattr_setsigmask(long attr, long sigset);
    static native int posix_spawnattr_setsigdefault(long attr, long sigset);
    static native int sigemptyset(long set);
    static native int sigfillset(long set);
    static native int posix_spawnp(int[] pid, String file, long fileActions, long attr, long argv, long envp);
    static native int waitpid(int pid, int[] status, int options);
    static native int kill(int pid, int sig);

    static int addCloseFrom(long fa, int from) {
        Function f;
        try {
            f = C.getFunction("posix_spawn_file_actions_addclosefrom_np");
        } catch (UnsatisfiedLinkError e) {
            return -1;
        }
        return f.invokeInt(new Object[] {new Pointer(fa), from});
    }
}
