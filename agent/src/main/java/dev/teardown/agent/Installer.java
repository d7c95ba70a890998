package dev.teardown.agent;

import dev.teardown.agent.rt.Recorder;

import java.lang.instrument.Instrumentation;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Starts the agent once per JVM: the recorder on the bootstrap path, the module edges it needs, the advice, the views. */
final class Installer {
    private Installer() {}

    /**
     * The agent's options: {@code stacks=N|all} (default 1000 per second), and the package prefixes that count as
     * the application's ({@code app=}) or as library code ({@code lib=}), separated by colons.
     */
    record Options(int stacksPerSecond, List<String> app, List<String> lib) {
        static Options parse(String args) {
            int limit = 1000;
            List<String> app = List.of();
            List<String> lib = List.of();
            for (String a : args == null ? new String[0] : args.split(",")) {
                if (a.startsWith("stacks=")) {
                    String v = a.substring(7);
                    limit = v.equals("all") ? Integer.MAX_VALUE : Integer.parseInt(v);
                } else if (a.startsWith("app=")) {
                    app = List.of(a.substring(4).split(":"));
                } else if (a.startsWith("lib=")) {
                    lib = List.of(a.substring(4).split(":"));
                } else if (!a.isBlank()) {
                    throw new IllegalArgumentException("unknown option " + a + " (stacks=N|all, app=PREFIX:..., lib=PREFIX:...)");
                }
            }
            return new Options(limit, app, lib);
        }
    }

    static synchronized void install(String how, Options options, Instrumentation inst) throws Exception {
        if (System.getProperty(TeardownAgent.PROPERTY) != null) {
            return;
        }
        BootstrapJar.append(inst);
        if (Recorder.class.getClassLoader() != null) {
            throw new IllegalStateException("the recorder was loaded from the agent jar, not the bootstrap path");
        }
        if (!Recorder.claimStart()) {
            return;
        }
        Recorder.stacksPerSecond(options.stacksPerSecond());
        Recorder.libraryFrames(new ApplicationFrames(inst, options.app(), options.lib()));
        // java.base must read the recorder's module to call it, and open java.io, java.net, sun.nio.ch and
        // sun.security.ssl (a TLS socket layered over a plain one) to it for the descriptor numbers
        Module rt = Recorder.class.getModule();
        Module base = Object.class.getModule();
        inst.redefineModule(base, Set.of(rt), Map.of(),
                Map.of("java.io", Set.of(rt), "java.net", Set.of(rt), "sun.nio.ch", Set.of(rt),
                        "sun.security.ssl", Set.of(rt)), Set.of(), Map.of());
        Instrumenter.install(inst, rt);
        startSweeper();
        SocketSites.register(how);
        CloseWaitEvent.register();
        System.setProperty(TeardownAgent.PROPERTY, how + " " + Recorder.startedMillis());
    }

    /** Once a second, the stacks of sockets open for a second or more become sites (short-lived ones never do). */
    private static void startSweeper() {
        Thread t = new Thread(() -> {
            while (true) {
                try {
                    Thread.sleep(1000);
                    Recorder.resolveOlderThan(1000);
                } catch (InterruptedException e) {
                    return;
                } catch (Throwable e) {
                    // keep sweeping; the report resolves what is left
                }
            }
        }, "teardown-agent-sites");
        t.setDaemon(true);
        t.start();
    }
}
