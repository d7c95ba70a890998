package dev.teardown.agent.report;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The handler classes in a live Netty channel's pipeline, read by reflection through Netty's public interfaces. */
final class NettyPipeline {
    private NettyPipeline() {}

    /** The handlers' class names, first to last; empty when the channel is gone or not a Netty channel. */
    static List<String> handlers(Object channel) {
        if (channel == null) {
            return List.of();
        }
        try {
            ClassLoader loader = channel.getClass().getClassLoader();
            Method pipeline = Class.forName("io.netty.channel.Channel", false, loader).getMethod("pipeline");
            Method toMap = Class.forName("io.netty.channel.ChannelPipeline", false, loader).getMethod("toMap");
            Map<?, ?> handlers = (Map<?, ?>) toMap.invoke(pipeline.invoke(channel));
            List<String> names = new ArrayList<>();
            for (Object h : handlers.values()) {
                names.add(h.getClass().getName());
            }
            return names;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return List.of();
        }
    }
}
