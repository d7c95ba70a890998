package dev.teardown.testing;

import com.sun.jna.Memory;
import com.sun.jna.StringArray;
import dev.teardown.posix.Errno;
import dev.teardown.posix.Libc;
import dev.teardown.posix.SpawnLibc;

/**
 * Starts children the way code outside teardown would: a bare posix_spawn that inherits every descriptor
 * without close-on-exec, optionally with one dup2. teardown does not count these children as references,
 * which is what the tests of foreign holders need.
 */
public final class ForeignSpawn {
    private ForeignSpawn() {}

    /** Spawns argv; if {@code fd >= 0} the child also gets {@code fd} at {@code childFd}. Returns the pid or -errno. */
    public static int spawn(int fd, int childFd, String... argv) {
        Memory actions = new Memory(SpawnLibc.OPAQUE_SIZE);
        actions.clear();
        int rc = SpawnLibc.posix_spawn_file_actions_init(actions);
        if (rc != 0) {
            return -rc;
        }
        try {
            if (fd >= 0) {
                rc = SpawnLibc.posix_spawn_file_actions_adddup2(actions, fd, childFd);
                if (rc != 0) {
                    return -rc;
                }
            }
            int[] pid = {0};
            rc = SpawnLibc.posix_spawnp(pid, argv[0], actions, null, new StringArray(argv),
                    new StringArray(new String[] {"PATH=/usr/bin:/bin"}));
            return rc != 0 ? -rc : pid[0];
        } finally {
            SpawnLibc.posix_spawn_file_actions_destroy(actions);
        }
    }

    /** As {@link #spawn(int, int, String...)} with {@code fd} at {@code childFd}. */
    public static int spawnWithDescriptor(int fd, int childFd, String... argv) {
        return spawn(fd, childFd, argv);
    }

    /** Sends SIGKILL to {@code pid} and reaps it. Returns 0, or the errno of kill/waitpid. */
    public static int killAndReap(int pid) {
        if (SpawnLibc.kill(pid, SpawnLibc.SIGKILL) < 0) {
            return Libc.errno();
        }
        int[] status = {0};
        for (;;) {
            if (SpawnLibc.waitpid(pid, status, 0) >= 0) {
                return 0;
            }
            int e = Libc.errno();
            if (e != Errno.EINTR) {
                return e;
            }
        }
    }
}
