package dev.teardown.inspect;

/**
 * Run by {@link SocketOwnersTest} as an unprivileged user in a separate JVM: prints what
 * {@link SocketOwners#of(long)} finds for the inode given as the argument.
 */
public final class OwnersProbe {
    private OwnersProbe() {}

    public static void main(String[] args) {
        SocketOwners o = SocketOwners.of(Long.parseLong(args[0]));
        System.out.println("UNREADABLE " + o.unreadableProcesses());
        System.out.println("HOLDERS " + o.holders().size());
    }
}
