package dev.teardown.agent.rt;

import java.util.List;

/**
 * Where sockets were opened: a trimmed stack, application frames first. Interned, so every socket opened by the
 * same code shares one instance.
 */
public final class Site {
    /** The site of sockets whose stack was not taken: more were opened per second than the agent's stack budget. */
    public static final Site NOT_TAKEN = new Site(List.of(), false, null);

    private final List<StackTraceElement> frames;
    private final boolean applicationFrames;
    private final StackTraceElement call;

    Site(List<StackTraceElement> frames, boolean applicationFrames, StackTraceElement call) {
        this.frames = frames;
        this.applicationFrames = applicationFrames;
        this.call = call;
    }

    /**
     * The kept frames, innermost first: up to eight application frames, the first of them always; or library frames
     * when there were none.
     */
    public List<StackTraceElement> frames() {
        return frames;
    }

    /** The library method the innermost application frame called (an HTTP client's {@code execute}), or null. */
    public StackTraceElement libraryCall() {
        return call;
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
