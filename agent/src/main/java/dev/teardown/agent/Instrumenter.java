package dev.teardown.agent;

import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.DynamicType;
import net.bytebuddy.utility.JavaModule;

import java.io.FileDescriptor;
import java.lang.instrument.Instrumentation;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ConcurrentSkipListSet;

import static net.bytebuddy.matcher.ElementMatchers.isConstructor;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.nameStartsWith;
import static net.bytebuddy.matcher.ElementMatchers.not;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

/**
 * Installs the advice on the JDK's socket classes and, found by name when the application has them, Netty's.
 * Classes loaded already are retransformed. A class that cannot be instrumented is skipped and counted.
 */
final class Instrumenter {
    private static final Set<String> INSTRUMENTED = new ConcurrentSkipListSet<>();
    private static final Map<String, String> SKIPPED = new ConcurrentSkipListMap<>();

    private Instrumenter() {}

    /** Classes carrying the advice now. */
    static Set<String> instrumented() {
        return INSTRUMENTED;
    }

    /** Classes that could not be instrumented, with the reason. */
    static Map<String, String> skipped() {
        return SKIPPED;
    }

    static void install(Instrumentation inst, Module recorder) {
        new AgentBuilder.Default()
                .disableClassFormatChanges()
                .with(AgentBuilder.RedefinitionStrategy.RETRANSFORMATION)
                .with(new Counting(inst, recorder))
                .ignore(not(nameStartsWith("sun.nio.ch.").or(nameStartsWith("io.netty.channel."))))
                .type(named("sun.nio.ch.NioSocketImpl"))
                .transform((b, type, loader, module, pd) -> b
                        .visit(Advice.to(Advices.NioCreate.class).on(named("create").and(takesArguments(1))))
                        .visit(Advice.to(Advices.NioAccept.class).on(named("accept").and(takesArguments(1))))
                        .visit(Advice.to(Advices.NioClose.class).on(named("close").and(takesArguments(0)))))
                .type(named("sun.nio.ch.SocketChannelImpl"))
                .transform((b, type, loader, module, pd) -> b
                        .visit(Advice.to(Advices.ChannelOpen.class).on(isConstructor().and(takesArguments(2))))
                        .visit(Advice.to(Advices.ChannelAccept.class).on(isConstructor().and(takesArguments(4))
                                .and(takesArgument(2, FileDescriptor.class))))
                        .visit(Advice.to(Advices.ChannelClose.class)
                                .on(named("implCloseSelectableChannel").and(takesArguments(0)))))
                .type(named("io.netty.channel.unix.Socket"))
                .transform((b, type, loader, module, pd) -> b
                        .visit(Advice.to(Advices.NettySocket.class).on(isConstructor().and(takesArguments(int.class)))))
                .type(named("io.netty.channel.unix.FileDescriptor"))
                .transform((b, type, loader, module, pd) -> b
                        .visit(Advice.to(Advices.NettyClose.class).on(named("close").and(takesArguments(0)))))
                .type(named("io.netty.channel.epoll.AbstractEpollChannel"))
                .transform((b, type, loader, module, pd) -> b
                        .visit(Advice.to(Advices.NettyChannel.class).on(isConstructor())))
                .installOn(inst);
    }

    /** Counts what was instrumented and what was skipped; gives named modules a read edge to the recorder. */
    private static final class Counting extends AgentBuilder.Listener.Adapter {
        private final Instrumentation inst;
        private final Module recorder;

        Counting(Instrumentation inst, Module recorder) {
            this.inst = inst;
            this.recorder = recorder;
        }

        @Override
        public void onTransformation(TypeDescription type, ClassLoader loader, JavaModule module, boolean loaded,
                DynamicType dynamicType) {
            if (module != null && module.isNamed()) {
                Module m = (Module) module.unwrap();
                if (!m.canRead(recorder)) {
                    inst.redefineModule(m, Set.of(recorder), Map.of(), Map.of(), Set.of(), Map.of());
                }
            }
            INSTRUMENTED.add(type.getName());
        }

        @Override
        public void onError(String typeName, ClassLoader loader, JavaModule module, boolean loaded, Throwable error) {
            SKIPPED.put(typeName, String.valueOf(error));
        }
    }
}
