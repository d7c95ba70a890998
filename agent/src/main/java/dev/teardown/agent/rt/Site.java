package dev.teardown.agent.rt;

import java.util.List;

/**
 * Where sockets were opened: a trimmed stack, application frames first. Interned, so every socket opened by the
 * same code shares one instance.
 */
public final class Site {
    /** The site of sockets whose stack was not taken: more were opened per second than the agent's stack budget. */
    public static final Site NOT_TAKEN = new Site(List.of(), false);

    private final List<StackTraceElement> frames;
    private final boolean applicationFrames;

    Site(List<StackTraceElement> frames, boolean applicationFrames) {
        this.frames = frames;
        this.applicationFrames = applicationFrames;
    }

    /** The kept frames, innermost first: up to eight application frames, or library
     * (JDK, Netty) frames when there were none. */
    public List<StackTraceElement> frames() {
        return frames;
    }

    /** False when only library code opened the socket (a Netty event loop accepting, a JDK pool thread). */
    public boolean applicationFrames() {
        return applicationFrames;
    }

    @Override
    public String toString() {
        return frames.isEmpty() ? "(no frames)" : frames.get(0).toString();
    }
}
