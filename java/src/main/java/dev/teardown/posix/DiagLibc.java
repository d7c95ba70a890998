package dev.teardown.posix;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * The libc functions the kernel views and their tests need beyond {@link Libc}: thread ids and namespace
 * files, and {@code posix_spawn} with a descriptor handed to the child on purpose. JNA direct-mapped,
 * registered only on Linux. As in {@link Libc}, every method returns the raw C result; the caller reads
 * {@link Libc#errno()} after a -1 (the posix_spawn family returns the error number instead).
 */
public final class DiagLibc {
    private DiagLibc() {}

    static {
        if (Os.LINUX) {
            Native.register(DiagLibc.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
        }
    }

    public static final int O_RDONLY = 0;
    public static final int O_CLOEXEC = 0x80000;
    public static final int WNOHANG = 1;
    public static final int SIGKILL = 9;
    /** glibc's posix_spawn_file_actions_t is 80 bytes on 64-bit Linux; this leaves room. */
    public static final int SPAWN_FILE_ACTIONS_SIZE = 128;

    /** The calling thread's kernel task id (glibc 2.30+). */
    public static native int gettid();

    public static native int open(String path, int flags);

    public static native int kill(int pid, int sig);

    public static native int waitpid(int pid, int[] status, int options);

    public static native int posix_spawn_file_actions_init(Pointer actions);

    public static native int posix_spawn_file_actions_adddup2(Pointer actions, int fd, int newfd);

    public static native int posix_spawn_file_actions_destroy(Pointer actions);

    /** {@code argv} and {@code envp} are NULL-terminated {@code char *[]} arrays (JNA StringArray). */
    public static native int posix_spawn(int[] pid, String path, Pointer actions, Pointer attr, Pointer argv,
            Pointer envp);
}
