package dev.teardown.agent;

import net.bytebuddy.ByteBuddy;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.asm.AsmVisitorWrapper;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.dynamic.scaffold.InstrumentedType;
import net.bytebuddy.dynamic.scaffold.MethodGraph;
import net.bytebuddy.dynamic.scaffold.TypeValidation;
import net.bytebuddy.implementation.Implementation;
import net.bytebuddy.pool.TypePool;

import java.io.FileDescriptor;
import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.security.ProtectionDomain;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ConcurrentSkipListSet;

import static net.bytebuddy.matcher.ElementMatchers.isConstructor;
import static net.bytebuddy.matcher.ElementMatchers.nameStartsWith;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.none;
import static net.bytebuddy.matcher.ElementMatchers.not;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

/**
 * Inlines the advice into the JDK's socket classes and, found by name when the application has them, Netty's (its
 * native epoll transport, and its NIO transport's channels over the JDK's) and the connection pools of Apache
 * HttpClient 4.5 and 5 (classic), OkHttp 4, the JDK's {@code java.net.http} client, Jetty 12's {@code HttpClient} and
 * Reactor Netty (their lease and release; for the last two also the request, whose stack the lease takes over); classes
 * loaded already are retransformed. Only method bodies change (no new fields or methods), as retransformation
 * requires. A class that cannot be instrumented is skipped and counted, and keeps its original code.
 */
final class Instrumenter implements ClassFileTransformer {
    private static final Map<String, AsmVisitorWrapper> ADVICE = Map.ofEntries(Map.entry(
            "sun/nio/ch/NioSocketImpl", new AsmVisitorWrapper.Compound(
                    Advice.to(Advices.NioCreate.class).on(named("create").and(takesArguments(1))),
                    Advice.to(Advices.NioAccept.class).on(named("accept").and(takesArguments(1))),
                    Advice.to(Advices.NioClose.class).on(named("close").and(takesArguments(0))),
                    Advice.to(Advices.NioCloser.class).on(nameStartsWith("lambda$closerFor$")
                            .and(takesArguments(FileDescriptor.class))))), Map.entry(
            "sun/nio/ch/SocketChannelImpl", new AsmVisitorWrapper.Compound(
                    Advice.to(Advices.ChannelOpen.class).on(isConstructor().and(takesArguments(2))),
                    Advice.to(Advices.ChannelAccept.class).on(isConstructor().and(takesArguments(4))
                            .and(takesArgument(2, FileDescriptor.class))),
                    Advice.to(Advices.ChannelClose.class).on(named("implCloseSelectableChannel").and(takesArguments(0))))),
            Map.entry("sun/nio/ch/ServerSocketChannelImpl", new AsmVisitorWrapper.Compound(
                    Advice.to(Advices.ListenerOpen.class).on(isConstructor().and(takesArguments(2))),
                    Advice.to(Advices.ChannelClose.class).on(named("implCloseSelectableChannel").and(takesArguments(0))))),
            Map.entry("io/netty/channel/unix/Socket",
                    Advice.to(Advices.NettySocket.class).on(isConstructor().and(takesArguments(int.class)))),
            Map.entry("io/netty/channel/unix/FileDescriptor",
                    Advice.to(Advices.NettyClose.class).on(named("close").and(takesArguments(0)))),
            Map.entry("io/netty/channel/epoll/AbstractEpollChannel",
                    Advice.to(Advices.NettyChannel.class).on(isConstructor())),
            Map.entry("io/netty/channel/nio/AbstractNioChannel",
                    Advice.to(Advices.NettyNioChannel.class).on(isConstructor())),
            // pooled HTTP clients: where a connection is lent to application code and where it is given back
            Map.entry("org/apache/http/impl/conn/PoolingHttpClientConnectionManager", new AsmVisitorWrapper.Compound(
                    Advice.to(Advices.Apache4Lease.class).on(named("leaseConnection")),
                    Advice.to(Advices.Apache4Release.class).on(named("releaseConnection").and(takesArguments(4))))),
            Map.entry("org/apache/hc/client5/http/impl/io/PoolingHttpClientConnectionManager$InternalConnectionEndpoint",
                    Advice.to(Advices.Apache5Lease.class).on(isConstructor())),
            Map.entry("org/apache/hc/client5/http/impl/io/PoolingHttpClientConnectionManager",
                    Advice.to(Advices.Apache5Release.class).on(named("release").and(takesArguments(3)))),
            Map.entry("jdk/internal/net/http/ConnectionPool", new AsmVisitorWrapper.Compound(
                    Advice.to(Advices.JdkLease.class).on(named("getConnection").and(takesArguments(3))),
                    Advice.to(Advices.JdkRelease.class).on(named("returnToPool")))),
            Map.entry("org/eclipse/jetty/client/transport/HttpDestination",
                    Advice.to(Advices.JettyRequest.class).on(named("send").and(takesArguments(1))
                            .and(takesArgument(0, named("org.eclipse.jetty.client.transport.HttpExchange"))))),
            Map.entry("org/eclipse/jetty/client/transport/internal/HttpConnectionOverHTTP",
                    Advice.to(Advices.JettyLease.class).on(named("send").and(takesArguments(1))
                            .and(takesArgument(0, named("org.eclipse.jetty.client.transport.HttpExchange"))))),
            Map.entry("org/eclipse/jetty/client/AbstractConnectionPool",
                    Advice.to(Advices.JettyRelease.class).on(named("release").and(takesArguments(1)))),
            Map.entry("reactor/netty/resources/DefaultPooledConnectionProvider$DisposableAcquire",
                    new AsmVisitorWrapper.Compound(
                            Advice.to(Advices.ReactorNettyRequest.class).on(isConstructor().and(takesArguments(6))),
                            Advice.to(Advices.ReactorNettyRetry.class).on(isConstructor().and(takesArguments(1))),
                            Advice.to(Advices.ReactorNettyLease.class).on(named("onNext").and(takesArguments(1))
                                    .and(not(takesArgument(0, Object.class)))))),
            Map.entry("reactor/netty/internal/shaded/reactor/pool/SimpleDequePool$QueuePooledRef",
                    Advice.to(Advices.ReactorNettyRelease.class).on(named("release").and(takesArguments(0)))),
            Map.entry("okhttp3/internal/connection/RealCall", new AsmVisitorWrapper.Compound(
                    Advice.to(Advices.OkHttpAcquire.class).on(named("acquireConnectionNoEvents").and(takesArguments(1))),
                    Advice.to(Advices.OkHttpRelease.class).on(nameStartsWith("releaseConnectionNoEvents")
                            .and(takesArguments(0))))));

    private static final Set<String> INSTRUMENTED = new ConcurrentSkipListSet<>();
    private static final Map<String, String> SKIPPED = new ConcurrentSkipListMap<>();

    private final Instrumentation inst;
    private final Module recorder;
    private final ByteBuddy byteBuddy = new ByteBuddy()
            .ignore(none()) // not ByteBuddy's default of skipping synthetic methods: NioCloser advises a lambda's body
            .with(TypeValidation.DISABLED)
            .with(InstrumentedType.Factory.Default.FROZEN)
            .with(Implementation.Context.Disabled.Factory.INSTANCE)
            .with(MethodGraph.Compiler.ForDeclaredMethods.INSTANCE);

    private Instrumenter(Instrumentation inst, Module recorder) {
        this.inst = inst;
        this.recorder = recorder;
    }

    /** Classes carrying the advice now. */
    static Set<String> instrumented() {
        return INSTRUMENTED;
    }

    /** Classes that could not be instrumented, with the reason. */
    static Map<String, String> skipped() {
        return SKIPPED;
    }

    /** Instruments the classes loaded from now on, then retransforms those loaded already. */
    static void install(Instrumentation inst, Module recorder) {
        inst.addTransformer(new Instrumenter(inst, recorder), true);
        for (Class<?> c : inst.getAllLoadedClasses()) {
            if (ADVICE.containsKey(c.getName().replace('.', '/'))) {
                try {
                    inst.retransformClasses(c);
                } catch (Throwable t) {
                    SKIPPED.put(c.getName(), String.valueOf(t));
                }
            }
        }
    }

    @Override
    public byte[] transform(Module module, ClassLoader loader, String name, Class<?> redefined, ProtectionDomain pd,
            byte[] bytes) {
        AsmVisitorWrapper advice = name == null ? null : ADVICE.get(name);
        if (advice == null) {
            return null;
        }
        String dotted = name.replace('/', '.');
        try {
            // the JDK client's connections are read by reflection: its internal package opens to the recorder (checked
            // on its own: on a JVM attached to, the module may read the recorder already and still keep it closed)
            boolean open = name.startsWith("jdk/internal/net/http/");
            if (module != null && module.isNamed() && (!module.canRead(recorder)
                    || open && !module.isOpen("jdk.internal.net.http", recorder))) {
                Map<String, Set<Module>> opens = open ? Map.of("jdk.internal.net.http", Set.of(recorder)) : Map.of();
                inst.redefineModule(module, Set.of(recorder), Map.of(), opens, Set.of(), Map.of());
            }
            ClassFileLocator locator = new ClassFileLocator.Compound(ClassFileLocator.Simple.of(dotted, bytes),
                    loader == null ? ClassFileLocator.ForClassLoader.ofBootLoader() : ClassFileLocator.ForClassLoader.of(loader));
            TypeDescription type = TypePool.Default.of(locator).describe(dotted).resolve();
            byte[] out = byteBuddy.redefine(type, locator).visit(advice).make().getBytes();
            INSTRUMENTED.add(dotted);
            return out;
        } catch (Throwable t) {
            SKIPPED.put(dotted, String.valueOf(t));
            return null;
        }
    }
}
