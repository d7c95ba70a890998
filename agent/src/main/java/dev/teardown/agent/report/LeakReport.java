package dev.teardown.agent.report;

import dev.teardown.agent.rt.Site;
import dev.teardown.agent.rt.SocketRecord;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A JVM's TCP sockets in the states asked for (CLOSE_WAIT by default), grouped by the code that opened them, worst
 * group first (most sockets, then oldest); as text or JSON. Sockets the agent did not see opened (opened before it
 * was loaded, or when it is not loaded) form groups without a site, and the report says so.
 */
public final class LeakReport {
    private static final int EXAMPLES = 5;

    /** What opened a group's sockets: a site, and for Netty the listener's site and the channel's handlers. */
    private record Origin(Site site, Site listener, List<String> handlers) {}

    private record Item(KernelSocket socket, SocketRecord record) {}

    private record Group(String state, Origin origin, List<Item> items) {
        long oldestMillis() {
            return items.stream().mapToLong(i -> i.record == null ? Long.MAX_VALUE : i.record.openedMillis())
                    .min().orElse(Long.MAX_VALUE);
        }
    }

    private final String pid;
    private final String command;
    private final Set<String> states;
    private final AgentInfo agent;
    private final long now;
    private final List<Group> groups;
    private final int total;

    private LeakReport(String pid, String command, Set<String> states, AgentInfo agent, long now, List<Group> groups) {
        this.pid = pid;
        this.command = command;
        this.states = states;
        this.agent = agent;
        this.now = now;
        this.groups = groups;
        this.total = groups.stream().mapToInt(g -> g.items.size()).sum();
    }

    /**
     * The report for the JVM this runs in, joined with the agent's records.
     *
     * @param states the TCP states to list, as {@link #states(String)} returns them
     */
    public static LeakReport ofThisJvm(Set<String> states, AgentInfo agent, Map<Integer, SocketRecord> records)
            throws IOException {
        return build(String.valueOf(ProcessHandle.current().pid()), "self", states, agent, records);
    }

    /** The report for a JVM without the agent: the kernel's sockets, none with a site. */
    public static LeakReport withoutAgent(long pid, Set<String> states) throws IOException {
        return build(String.valueOf(pid), String.valueOf(pid), states, null, Map.of());
    }

    private static LeakReport build(String pid, String proc, Set<String> states, AgentInfo agent,
            Map<Integer, SocketRecord> records) throws IOException {
        long now = System.currentTimeMillis();
        Map<List<Object>, Group> byKey = new LinkedHashMap<>();
        for (KernelSocket s : ProcSockets.of(proc, states::contains)) {
            SocketRecord r = records.get(s.fd());
            Origin origin = r == null ? new Origin(null, null, List.of()) : origin(r, records);
            byKey.computeIfAbsent(List.of(s.state(), origin), k -> new Group(s.state(), origin, new ArrayList<>()))
                    .items.add(new Item(s, r));
        }
        List<Group> groups = new ArrayList<>(byKey.values());
        groups.sort(Comparator.comparingInt((Group g) -> -g.items.size()).thenComparingLong(Group::oldestMillis));
        for (Group g : groups) {
            g.items.sort(Comparator.comparingLong((Item i) -> i.record == null ? 0 : i.record.openedMillis())
                    .thenComparingInt(i -> i.socket.fd()));
        }
        return new LeakReport(pid, command(proc), states, agent, now, groups);
    }

    private static Origin origin(SocketRecord r, Map<Integer, SocketRecord> records) {
        SocketRecord listener = r.parentFd() < 0 ? null : records.get(r.parentFd());
        return new Origin(r.site(), listener == null ? null : listener.site(), NettyPipeline.handlers(r.channel()));
    }

    private static String command(String proc) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", proc, "cmdline"));
            return new String(raw, StandardCharsets.UTF_8).replace('\0', ' ').trim();
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * The states named by a command-line value: {@code close-wait} (the default), {@code all}, or a comma-separated
     * list such as {@code established,close-wait}.
     *
     * @throws IllegalArgumentException for a name that is not a TCP state
     */
    public static Set<String> states(String spec) {
        Set<String> out = new TreeSet<>();
        for (String part : spec.split(",")) {
            String name = part.trim().toUpperCase(Locale.ROOT).replace('-', '_');
            if (name.equals("ALL")) {
                out.addAll(ProcSockets.states());
            } else if (name.equals("FIN_WAIT_1") || name.equals("FIN_WAIT_2")) {
                out.add(name.replace("_1", "1").replace("_2", "2"));
            } else if (ProcSockets.states().contains(name)) {
                out.add(name);
            } else {
                throw new IllegalArgumentException("not a TCP state: " + part.trim());
            }
        }
        return out;
    }

    /** Sockets listed. */
    public int total() {
        return total;
    }

    /** The report as text for a terminal. */
    public String text() {
        StringBuilder b = new StringBuilder();
        String what = states.size() == 1 ? "in " + states.iterator().next() : "in the states asked for";
        b.append("pid ").append(pid);
        if (!command.isEmpty()) {
            b.append(" (").append(Untrusted.text(command, 100)).append(')');
        }
        b.append(": ").append(total).append(total == 1 ? " TCP socket " : " TCP sockets ").append(what).append('\n');
        if (agent == null) {
            b.append("agent: not loaded in this JVM, so no socket has a site (add --attach, or start the JVM with"
                    + " -javaagent:teardown-agent.jar)\n");
        } else {
            b.append("agent: ").append(agent.how().equals("premain") ? "loaded at start " : "attached ")
                    .append(age(now - agent.startedMillis())).append(" ago, ").append(agent.recorded())
                    .append(" sockets recorded since");
            if (agent.notTaken() > 0) {
                b.append(" (").append(agent.notTaken()).append(" without a stack, over ").append(agent.stacksPerSecond())
                        .append(" per second)");
            }
            b.append("; instrumented: ").append(String.join(", ", agent.instrumented()));
            if (!agent.skipped().isEmpty()) {
                b.append(", ").append(agent.skipped().size()).append(" skipped ").append(agent.skipped().keySet());
            }
            b.append('\n');
        }
        boolean unknown = false;
        for (Group g : groups) {
            b.append('\n').append(g.items.size()).append(" in ").append(g.state);
            if (g.origin.site == null) {
                unknown = true;
                b.append(": opened before the agent was loaded, or by code it does not see (no site)\n");
            } else if (g.origin.site == Site.NOT_TAKEN) {
                b.append(", oldest ").append(age(now - g.oldestMillis())).append(": stack not taken (more sockets per"
                        + " second than the agent's budget of ").append(agent == null ? 0 : agent.stacksPerSecond())
                        .append("; the agent option stacks=all takes every one)\n");
            } else {
                b.append(", oldest ").append(age(now - g.oldestMillis())).append(", ")
                        .append(g.items.stream().mapToLong(i -> i.socket.recvQ()).sum()).append(" B unread; opened at\n");
                frames(b, g.origin.site);
                if (g.origin.listener != null) {
                    b.append("  accepted on the listener opened at\n");
                    frames(b, g.origin.listener);
                }
                if (!g.origin.handlers.isEmpty()) {
                    b.append("  channel handlers: ").append(String.join(", ", g.origin.handlers)).append('\n');
                }
            }
            for (int i = 0; i < g.items.size() && i < EXAMPLES; i++) {
                Item it = g.items.get(i);
                b.append("  fd ").append(it.socket.fd()).append(' ').append(it.socket.local()).append(" <- ")
                        .append(it.socket.remote());
                if (it.record != null) {
                    b.append(", ").append(age(now - it.record.openedMillis())).append(" old");
                }
                b.append('\n');
            }
            if (g.items.size() > EXAMPLES) {
                b.append("  and ").append(g.items.size() - EXAMPLES).append(" more\n");
            }
        }
        if (unknown && agent != null) {
            b.append("\nSockets without a site were opened before the agent was loaded (")
                    .append(age(now - agent.startedMillis())).append(" ago); start the JVM with -javaagent: to see them all.\n");
        }
        if (groups.stream().anyMatch(g -> g.state.equals("CLOSE_WAIT"))) {
            b.append("\nCLOSE_WAIT: the peer has closed and this JVM has not. The code above opened these sockets;"
                    + " it, or whoever it hands them to, must close them (in a finally block or try-with-resources).\n");
        }
        return b.toString();
    }

    private static void frames(StringBuilder b, Site site) {
        if (!site.applicationFrames()) {
            b.append("    (no application frame: opened inside a library)\n");
        }
        for (StackTraceElement f : site.frames()) {
            b.append("    at ").append(f).append('\n');
        }
    }

    /** The report as one JSON document. */
    public String json() {
        StringBuilder b = new StringBuilder("{");
        b.append("\"pid\":").append(pid).append(",\"command\":").append(Json.quote(command))
                .append(",\"states\":").append(Json.strings(states)).append(",\"total\":").append(total)
                .append(",\"agent\":");
        if (agent == null) {
            b.append("null");
        } else {
            b.append("{\"how\":").append(Json.quote(agent.how())).append(",\"startedMillis\":").append(agent.startedMillis())
                    .append(",\"recorded\":").append(agent.recorded()).append(",\"notTaken\":").append(agent.notTaken())
                    .append(",\"stacksPerSecond\":").append(agent.stacksPerSecond())
                    .append(",\"failures\":").append(agent.failures())
                    .append(",\"instrumented\":").append(Json.strings(agent.instrumented())).append(",\"skipped\":{");
            String sep = "";
            for (Map.Entry<String, String> e : agent.skipped().entrySet()) {
                b.append(sep).append(Json.quote(e.getKey())).append(':').append(Json.quote(e.getValue()));
                sep = ",";
            }
            b.append("}}");
        }
        b.append(",\"groups\":[");
        for (int gi = 0; gi < groups.size(); gi++) {
            Group g = groups.get(gi);
            b.append(gi == 0 ? "" : ",").append("{\"state\":").append(Json.quote(g.state)).append(",\"count\":")
                    .append(g.items.size()).append(",\"site\":").append(siteJson(g.origin.site))
                    .append(",\"stackTaken\":").append(g.origin.site != null && g.origin.site != Site.NOT_TAKEN)
                    .append(",\"applicationFrames\":").append(g.origin.site != null && g.origin.site.applicationFrames())
                    .append(",\"listenerSite\":").append(siteJson(g.origin.listener))
                    .append(",\"handlers\":").append(Json.strings(g.origin.handlers))
                    .append(",\"oldestAgeMillis\":").append(g.origin.site == null ? "null" : now - g.oldestMillis())
                    .append(",\"sockets\":[");
            for (int i = 0; i < g.items.size(); i++) {
                Item it = g.items.get(i);
                KernelSocket s = it.socket;
                b.append(i == 0 ? "" : ",").append("{\"fd\":").append(s.fd()).append(",\"inode\":").append(s.inode())
                        .append(",\"local\":").append(Json.quote(s.local())).append(",\"remote\":").append(Json.quote(s.remote()))
                        .append(",\"recvQ\":").append(s.recvQ()).append(",\"sendQ\":").append(s.sendQ())
                        .append(",\"ageMillis\":").append(it.record == null ? "null" : now - it.record.openedMillis())
                        .append(",\"kind\":").append(it.record == null ? "null" : Json.quote(it.record.kind().name()))
                        .append('}');
            }
            b.append("]}");
        }
        return b.append("]}").toString();
    }

    private static String siteJson(Site site) {
        return site == null ? "null" : Json.strings(site.frames());
    }

    static String age(long millis) {
        long s = Math.max(0, millis) / 1000;
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format("%dm%02ds", s / 60, s % 60);
        }
        if (s < 86400) {
            return String.format("%dh%02dm", s / 3600, s % 3600 / 60);
        }
        return String.format("%dd%02dh", s / 86400, s % 86400 / 3600);
    }
}
