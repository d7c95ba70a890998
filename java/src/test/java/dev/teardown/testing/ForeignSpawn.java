package dev.teardown.testing;

import dev.teardown.posix.Errno;
import dev.teardown.posix.Libc;
import dev.teardown.posix.Spawn;
import dev.teardown.posix.SpawnLibc;
import java.nio.ByteBuffer;

/**
 * Starts children the way code outside teardown would: a bare posix_spawn that inherits every descriptor
 * without close-on-exec, optionally with one dup2. teardown does not count these children as references,
 * which is what the tests of foreign holders need.
 */
public final class ForeignSpawn {
    private ForeignSpawn() {}

    /** Spawns argv; if {@code fd >= 0} the child also gets {@code fd} at {@code childFd}. Returns the pid or -errno. */
    public static int spawn(int fd, int childFd, String... argv) {
        ByteBuffer mem = ByteBuffer.allocateDirect(SpawnLibc.OPAQUE_SIZE);
        long actions = Libc.address(mem);
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
            ByteBuffer args = Spawn.cStrings(argv);
            ByteBuffer env = Spawn.cStrings(new String[] {"PATH=/usr/bin:/bin"});
            rc = SpawnLibc.posix_spawnp(pid, argv[0], actions, 0, Libc.address(args), Libc.address(env));
            java.lang.ref.Reference.reachabilityFence(args);
            java.lang.ref.Reference.reachabilityFence(env);
            return rc != 0 ? -rc : pid[0];
        } finally {
            SpawnLibc.posix_spawn_file_actions_destroy(actions);
            java.lang.ref.Reference.reachabilityFence(mem);
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
