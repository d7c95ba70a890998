package dev.teardown.posix;

import com.sun.jna.Memory;
import com.sun.jna.StringArray;

/**
 * Starts a child process that inherits one descriptor on purpose, through {@code posix_spawn} with a
 * {@code dup2} file action (the duplicate is not close-on-exec, so it survives the exec). The JDK's
 * ProcessBuilder closes every descriptor above 2 in the child and cannot do this. Used to make a foreign
 * holder of a socket, as a forked worker would be.
 */
public final class DiagSpawn {
    private DiagSpawn() {}

    /**
     * Spawns {@code argv[0]} (an absolute path) with {@code argv}, a minimal environment, and {@code fd}
     * duplicated to {@code childFd} in the child. Returns the child's pid, or -errno on failure.
     */
    public static int spawnWithDescriptor(int fd, int childFd, String... argv) {
        Memory actions = new Memory(DiagLibc.SPAWN_FILE_ACTIONS_SIZE);
        actions.clear();
        int rc = DiagLibc.posix_spawn_file_actions_init(actions);
        if (rc != 0) {
            return -rc;
        }
        try {
            rc = DiagLibc.posix_spawn_file_actions_adddup2(actions, fd, childFd);
            if (rc != 0) {
                return -rc;
            }
            int[] pid = {0};
            StringArray args = new StringArray(argv);
            StringArray env = new StringArray(new String[] {"PATH=/usr/bin:/bin"});
            rc = DiagLibc.posix_spawn(pid, argv[0], actions, null, args, env);
            return rc != 0 ? -rc : pid[0];
        } finally {
            DiagLibc.posix_spawn_file_actions_destroy(actions);
        }
    }

    /** Sends SIGKILL to {@code pid} and reaps it. Returns 0, or the errno of kill/waitpid. */
    public static int killAndReap(int pid) {
        if (DiagLibc.kill(pid, DiagLibc.SIGKILL) < 0) {
            return Libc.errno();
        }
        int[] status = {0};
        for (;;) {
            if (DiagLibc.waitpid(pid, status, 0) >= 0) {
                return 0;
            }
            int e = Libc.errno();
            if (e != Errno.EINTR) {
                return e;
            }
        }
    }
}
