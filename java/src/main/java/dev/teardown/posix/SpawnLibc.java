package dev.teardown.posix;

/**
 * posix_spawn and process control: one binding with two implementations like {@link Libc} (this copy: JNA).
 * The posix_spawn functions return an error number instead of setting errno; waitpid and kill set errno (read it
 * with {@link Libc#errno()}). Opaque structs, signal sets and string arrays are passed by native address (see
 * {@link Spawn}). {@code posix_spawn_file_actions_addclosefrom_np} (glibc 2.34+) is looked up at run time.
 */
public final class SpawnLibc {
    private SpawnLibc() {}

    /** Bytes to allocate for posix_spawn_file_actions_t / posix_spawnattr_t / sigset_t (generous). */
    public static final int OPAQUE_SIZE = 1024;
    public static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    public static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    public static final int SIGKILL = 9;
    public static final int SIGTERM = 15;
    public static final int O_RDWR = 2;

    public static int posix_spawn_file_actions_init(long fa) {
        return JnaSpawnLibc.posix_spawn_file_actions_init(fa);
    }

    public static int posix_spawn_file_actions_destroy(long fa) {
        return JnaSpawnLibc.posix_spawn_file_actions_destroy(fa);
    }

    public static int posix_spawn_file_actions_adddup2(long fa, int fd, int newfd) {
        return JnaSpawnLibc.posix_spawn_file_actions_adddup2(fa, fd, newfd);
    }

    public static int posix_spawn_file_actions_addclose(long fa, int fd) {
        return JnaSpawnLibc.posix_spawn_file_actions_addclose(fa, fd);
    }

    public static int posix_spawn_file_actions_addopen(long fa, int fd, String path, int oflag, int mode) {
        return JnaSpawnLibc.posix_spawn_file_actions_addopen(fa, fd, path, oflag, mode);
    }

    public static int posix_spawnattr_init(long attr) {
        return JnaSpawnLibc.posix_spawnattr_init(attr);
    }

    public static int posix_spawnattr_destroy(long attr) {
        return JnaSpawnLibc.posix_spawnattr_destroy(attr);
    }

    public static int posix_spawnattr_setflags(long attr, short flags) {
        return JnaSpawnLibc.posix_spawnattr_setflags(attr, flags);
    }

    public static int posix_spawnattr_setsigmask(long attr, long sigset) {
        return JnaSpawnLibc.posix_spawnattr_setsigmask(attr, sigset);
    }

    public static int posix_spawnattr_setsigdefault(long attr, long sigset) {
        return JnaSpawnLibc.posix_spawnattr_setsigdefault(attr, sigset);
    }

    public static int sigemptyset(long set) {
        return JnaSpawnLibc.sigemptyset(set);
    }

    public static int sigfillset(long set) {
        return JnaSpawnLibc.sigfillset(set);
    }

    /** {@code argv} and {@code envp}: addresses of NULL-terminated arrays of C strings (or 0 for envp: none). */
    public static int posix_spawnp(int[] pid, String file, long fileActions, long attr, long argv, long envp) {
        return JnaSpawnLibc.posix_spawnp(pid, file, fileActions, attr, argv, envp);
    }

    /** Blocks unless {@code options} has WNOHANG. */
    public static int waitpid(int pid, int[] status, int options) {
        return JnaSpawnLibc.waitpid(pid, status, options);
    }

    public static int kill(int pid, int sig) {
        return JnaSpawnLibc.kill(pid, sig);
    }

    /**
     * posix_spawn_file_actions_addclosefrom_np(fa, from) where libc has it. Returns 0 on success, the
     * error number on failure, or -1 when the function does not exist.
     */
    public static int addCloseFrom(long fa, int from) {
        return JnaSpawnLibc.addCloseFrom(fa, from);
    }
}
