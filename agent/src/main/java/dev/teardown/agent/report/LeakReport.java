package dev.teardown.agent.report;

import dev.teardown.agent.rt.Site;
import dev.teardown.agent.rt.SocketRecord;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A JVM's TCP sockets in the states asked for (CLOSE_WAIT by default), and its ESTABLISHED sockets whose received
 * data nobody reads, grouped by the code that leaked them, worst group first (most sockets, then oldest); as text or
 * JSON. The leak site of a socket is its last use by application code when the agent saw one (the code that took it
 * from a pooled HTTP client's pool), else the code that opened it. Each socket is classified {@code leaked} (it holds
 * unread data, or its pool never got it back, or no pool the agent knows holds it) or {@code idle} (a pooled
 * keep-alive connection, back in its pool, whose only unread byte is the server's FIN). Sockets the agent did not
 * see (opened before it was loaded, or when it is not loaded) form groups without a site, and the report says so.
 */
public final class LeakReport {
    private static final int EXAMPLES = 5;
    /** How long unread data must stay unread before an ESTABLISHED socket is listed as a suspected leak. */
    static final long UNREAD_FOR_MILLIS = 1000;
    /** The most a TLS close_notify alert takes in the receive queue (one record: header, alert, AEAD overhead). */
    private static final long TLS_CLOSE_NOTIFY = 64;

    /** What opened a group's sockets: a site, and for Netty the listener's site and the channel's handlers. */
    private record Origin(Site site, Site listener, List<String> handlers) {}

    /** One listed socket: the kernel's view, the agent's record, its peer in this namespace (or null). */
    private record Item(KernelSocket socket, SocketRecord record, String classification, boolean outbound,
            KernelSocket peer) {}

    private record Group(String state, String classification, Origin origin, Site lastUse, Clients client,
            List<Item> items) {
        long oldestMillis() {
            return items.stream().mapToLong(i -> i.record == null || !i.record.seenOpened() ? Long.MAX_VALUE
                    : i.record.openedMillis()).min().orElse(Long.MAX_VALUE);
        }

        /** Where the leak is: the last application use, else the opening site; null for idle pooled sockets. */
        Site leakSite() {
            return !classification.equals(LEAKED) ? null : lastUse != null ? lastUse : origin.site;
        }
    }

    static final String LEAKED = "leaked";
    static final String IDLE = "idle";
    static final String OPEN = "open";

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
            throws IOException, InterruptedException {
        return build(String.valueOf(ProcessHandle.current().pid()), "self", states, agent, records);
    }

    /** The report for a JVM without the agent: the kernel's sockets, none with a site. */
    public static LeakReport withoutAgent(long pid, Set<String> states) throws IOException, InterruptedException {
        return build(String.valueOf(pid), String.valueOf(pid), states, null, Map.of());
    }

    private static LeakReport build(String pid, String proc, Set<String> states, AgentInfo agent,
            Map<Integer, SocketRecord> records) throws IOException, InterruptedException {
        List<KernelSocket> listed = new ArrayList<>();
        List<KernelSocket> first = ProcSockets.of(proc, st -> states.contains(st) || st.equals("ESTABLISHED"));
        Map<Long, Long> unreadBefore = new HashMap<>();
        for (KernelSocket s : first) {
            if (s.state().equals("ESTABLISHED") && s.recvQ() > 0) {
                unreadBefore.put(s.inode(), s.recvQ());
            }
        }
        List<KernelSocket> sockets = first;
        if (!unreadBefore.isEmpty()) { // a second look: data still unread, not one byte of it taken meanwhile
            Thread.sleep(UNREAD_FOR_MILLIS);
            sockets = ProcSockets.of(proc, st -> states.contains(st) || st.equals("ESTABLISHED"));
        }
        Set<Long> unread = new HashSet<>();
        for (KernelSocket s : sockets) {
            boolean stuck = s.state().equals("ESTABLISHED") && s.recvQ() > 0 && s.recvQ() == unreadBefore.getOrDefault(s.inode(), -1L);
            if (stuck) {
                unread.add(s.inode());
            }
            if (states.contains(s.state()) || stuck) {
                listed.add(s);
            }
        }
        List<KernelSocket> namespace = listed.isEmpty() ? List.of() : ProcSockets.namespace(proc);
        Map<String, KernelSocket> byEnds = new HashMap<>();
        Set<Integer> listening = new HashSet<>();
        for (KernelSocket s : namespace) {
            byEnds.putIfAbsent(plain(s.local()) + " " + plain(s.remote()), s);
            if (s.state().equals("LISTEN")) {
                listening.add(port(s.local()));
            }
        }
        long now = System.currentTimeMillis();
        Map<List<Object>, Group> byKey = new LinkedHashMap<>();
        for (KernelSocket s : listed) {
            SocketRecord r = records.get(s.fd());
            Origin origin = r == null ? new Origin(null, null, List.of()) : origin(r, records);
            String classification = classify(s, r, unread.contains(s.inode()));
            Clients client = Clients.of(r);
            Site lastUse = r == null ? null : r.lastUseSite();
            if (lastUse == null && r != null && r.pool() != null && r.pool().leased()) {
                lastUse = Site.NOT_TAKEN; // leased over the stack budget: the opener is not the leaker, name no one
            }
            boolean outbound = r != null && r.kind() != null ? r.kind() != SocketRecord.Kind.ACCEPTED
                    && r.kind() != SocketRecord.Kind.LISTENER : !listening.contains(port(s.local()));
            KernelSocket peer = byEnds.get(plain(s.remote()) + " " + plain(s.local()));
            // a leak is keyed by where it leaked; idle pooled sockets by their pool and opening site
            Site leakUse = classification.equals(LEAKED) ? lastUse : null;
            List<Object> key = Arrays.asList(s.state(), classification, origin, leakUse, client);
            byKey.computeIfAbsent(key, k -> new Group(s.state(), classification, origin, leakUse, client,
                            new ArrayList<>()))
                    .items.add(new Item(s, r, classification, outbound, peer));
        }
        List<Group> groups = new ArrayList<>(byKey.values());
        groups.sort(Comparator.comparingInt((Group g) -> g.classification.equals(LEAKED) ? 0 : 1)
                .thenComparingInt(g -> -g.items.size()).thenComparingLong(Group::oldestMillis));
        for (Group g : groups) {
            g.items.sort(Comparator.comparingLong((Item i) -> i.record == null ? 0 : i.record.openedMillis())
                    .thenComparingInt(i -> i.socket.fd()));
        }
        return new LeakReport(pid, command(proc), states, agent, now, groups);
    }

    /**
     * {@code idle}: back in a known pool with nothing unread but the FIN (a CLOSE_WAIT socket's receive queue counts
     * the FIN as one byte) and, on a TLS connection, the server's close_notify; {@code leaked}: any other CLOSE_WAIT socket, and an ESTABLISHED one whose data nobody
     * reads; {@code open}: the rest of what {@code --state} asked for.
     */
    private static String classify(KernelSocket s, SocketRecord r, boolean unreadStuck) {
        if (s.state().equals("CLOSE_WAIT")) {
            boolean inPool = r != null && r.pool() != null && !r.pool().leased();
            // a TLS server's close_notify alert (24 to 31 bytes) comes before its FIN: no response, nothing to consume
            long fin = inPool && r.pool().tls() ? 1 + TLS_CLOSE_NOTIFY : 1;
            return inPool && s.recvQ() <= fin ? IDLE : LEAKED;
        }
        return unreadStuck ? LEAKED : OPEN;
    }

    /** An endpoint without its IPv4-mapped IPv6 form, so that a JDK socket and its IPv4 peer match. */
    private static String plain(String endpoint) {
        if (endpoint.startsWith("[::ffff:")) {
            int close = endpoint.indexOf(']');
            return endpoint.substring(8, close) + endpoint.substring(close + 1);
        }
        return endpoint;
    }

    private static int port(String endpoint) {
        return Integer.parseInt(endpoint.substring(endpoint.lastIndexOf(':') + 1));
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
        long stuck = groups.stream().filter(g -> !states.contains(g.state)).mapToLong(g -> g.items.size()).sum();
        long asked = total - stuck;
        b.append(": ").append(asked).append(asked == 1 ? " TCP socket " : " TCP sockets ").append(what);
        if (stuck > 0) {
            b.append(", and ").append(stuck).append(" ESTABLISHED whose received data nobody has read for ")
                    .append(UNREAD_FOR_MILLIS / 1000).append(" s or more");
        }
        b.append('\n');
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
            if (!g.classification.equals(OPEN)) {
                b.append(", ").append(g.classification.toUpperCase(Locale.ROOT));
            }
            long unread = g.items.stream().mapToLong(i -> i.socket.recvQ()).sum();
            if (g.origin.site == null && g.lastUse == null) {
                unknown = true;
                b.append(": opened before the agent was loaded, or by code it does not see (no site)\n");
            } else if (g.origin.site == Site.NOT_TAKEN && g.lastUse == null) {
                b.append(", oldest ").append(age(now - g.oldestMillis())).append(": stack not taken (more sockets per"
                        + " second than the agent's budget of ").append(agent == null ? 0 : agent.stacksPerSecond())
                        .append("; the agent option stacks=all takes every one)\n");
            } else {
                if (g.oldestMillis() != Long.MAX_VALUE) {
                    b.append(", oldest ").append(age(now - g.oldestMillis()));
                }
                b.append(", ").append(unread).append(" B unread");
                if (g.client != null) {
                    b.append(", ").append(g.client.label);
                }
                b.append('\n');
                if (g.lastUse == Site.NOT_TAKEN) {
                    b.append("  leaked by the code that last took them from the pool, whose stack was not taken (more"
                            + " sockets and leases per second than the agent's budget of ")
                            .append(agent == null ? 0 : agent.stacksPerSecond())
                            .append("; the agent option stacks=all takes every one)\n");
                } else if (g.lastUse != null) {
                    b.append("  leaked by the code that last took them from the pool (last application use):\n");
                    frames(b, g.lastUse);
                } else if (g.classification.equals(IDLE)) {
                    Site last = g.items.get(0).record == null ? null : g.items.get(0).record.lastUseSite();
                    if (last != null && last.applicationFrames()) {
                        b.append("  back in the pool; last used (and given back) by ").append(last.frames().get(0))
                                .append('\n');
                    }
                }
                if (g.origin.site == null) {
                    b.append("  opened before the agent was loaded\n");
                } else {
                    b.append(g.lastUse == null && g.classification.equals(LEAKED) ? "  leaked by the code that opened"
                            + " them (no pool the agent knows lent them out):\n" : "  opened at\n");
                    frames(b, g.origin.site);
                }
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
                b.append("  fd ").append(it.socket.fd()).append(' ').append(it.socket.local())
                        .append(it.outbound ? " -> " : " <- ").append(it.socket.remote());
                if (it.record != null && it.record.seenOpened()) {
                    b.append(", ").append(age(now - it.record.openedMillis())).append(" old");
                }
                b.append(", ").append(it.socket.recvQ()).append(" B unread");
                if (it.peer != null && !it.peer.state().equals("ESTABLISHED")) {
                    b.append(", peer in ").append(it.peer.state());
                    if (it.peer.sendQ() > 0) {
                        b.append(" with ").append(it.peer.sendQ()).append(" B it cannot send");
                    }
                }
                b.append('\n');
            }
            if (g.items.size() > EXAMPLES) {
                b.append("  and ").append(g.items.size() - EXAMPLES).append(" more\n");
            }
            String advice = advice(g);
            if (advice != null) {
                b.append("  advice: ").append(advice).append('\n');
            }
        }
        if (unknown && agent != null) {
            b.append("\nSockets without a site were opened before the agent was loaded (")
                    .append(age(now - agent.startedMillis())).append(" ago); start the JVM with -javaagent: to see them all.\n");
        }
        if (groups.stream().anyMatch(g -> g.state.equals("CLOSE_WAIT") && g.classification.equals(LEAKED))) {
            b.append("\nCLOSE_WAIT: the peer has closed and this JVM has not. LEAKED sockets stay until the code named"
                    + " above closes them, or gives them back to their pool.\n");
        }
        if (groups.stream().anyMatch(g -> g.classification.equals(IDLE))) {
            b.append("\nIDLE: pooled keep-alive connections that the server closed while they waited in the pool; the"
                    + " pool closes them when it next checks them, and their number is bounded by the pool's size.\n");
        }
        return b.toString();
    }

    /** What to do about a group: for a leak, who must consume or close what; for an idle pool, the setting. */
    private static String advice(Group g) {
        Site leak = g.leakSite();
        if (g.classification.equals(IDLE)) {
            return "harmless and bounded; " + (g.client == null ? "the pool's idle eviction closes them"
                    : g.client.evict) + ".";
        }
        if (leak == null || !g.classification.equals(LEAKED)) {
            return null;
        }
        String who = leak.applicationFrames() ? method(leak.frames().get(0))
                : leak == Site.NOT_TAKEN ? "the code that leased them" : "the code above";
        if (g.client != null) {
            return who + " must consume or close its response (" + g.client.label + "): " + g.client.consume
                    + ".";
        }
        if (g.state.equals("ESTABLISHED")) {
            return who + ", or whoever it hands the socket to, stopped reading it: read it to the end, or"
                    + " close it.";
        }
        return who + ", or whoever it hands them to, must close them (in a finally block or"
                + " try-with-resources).";
    }

    /** {@code Service.stockLevel() (Service.java:42)}. */
    private static String method(StackTraceElement f) {
        String cls = f.getClassName().substring(f.getClassName().lastIndexOf('.') + 1);
        return cls + "." + f.getMethodName() + "() (" + f.getFileName() + ":" + f.getLineNumber() + ")";
    }

    private static void frames(StringBuilder b, Site site) {
        if (!site.applicationFrames()) {
            b.append("    (no application frame: opened inside a library)\n");
        }
        for (StackTraceElement f : site.frames()) {
            b.append("    at ").append(f).append('\n');
        }
        if (site.libraryCall() != null) {
            b.append("    (calling ").append(site.libraryCall()).append(")\n");
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
            Site leak = g.leakSite();
            b.append(gi == 0 ? "" : ",").append("{\"state\":").append(Json.quote(g.state))
                    .append(",\"classification\":").append(Json.quote(g.classification))
                    .append(",\"client\":").append(g.client == null ? "null" : Json.quote(g.client.label))
                    .append(",\"count\":").append(g.items.size())
                    .append(",\"leakSite\":").append(siteJson(leak))
                    .append(",\"leakCall\":").append(leak == null || leak.libraryCall() == null ? "null"
                            : Json.quote(leak.libraryCall().toString()))
                    .append(",\"lastUseSite\":").append(siteJson(g.lastUse))
                    .append(",\"lastUseStackTaken\":").append(g.lastUse == null ? "null"
                            : String.valueOf(g.lastUse != Site.NOT_TAKEN))
                    .append(",\"site\":").append(siteJson(g.origin.site))
                    .append(",\"stackTaken\":").append(g.origin.site != null && g.origin.site != Site.NOT_TAKEN)
                    .append(",\"applicationFrames\":").append((leak != null ? leak : g.origin.site) != null
                            && (leak != null ? leak : g.origin.site).applicationFrames())
                    .append(",\"listenerSite\":").append(siteJson(g.origin.listener))
                    .append(",\"handlers\":").append(Json.strings(g.origin.handlers))
                    .append(",\"oldestAgeMillis\":").append(g.oldestMillis() == Long.MAX_VALUE ? "null"
                            : String.valueOf(now - g.oldestMillis()))
                    .append(",\"advice\":").append(Json.quote(advice(g)))
                    .append(",\"sockets\":[");
            for (int i = 0; i < g.items.size(); i++) {
                Item it = g.items.get(i);
                KernelSocket s = it.socket;
                boolean opened = it.record != null && it.record.seenOpened();
                b.append(i == 0 ? "" : ",").append("{\"fd\":").append(s.fd()).append(",\"inode\":").append(s.inode())
                        .append(",\"direction\":").append(Json.quote(it.outbound ? "outbound" : "inbound"))
                        .append(",\"local\":").append(Json.quote(s.local())).append(",\"remote\":").append(Json.quote(s.remote()))
                        .append(",\"recvQ\":").append(s.recvQ()).append(",\"sendQ\":").append(s.sendQ())
                        .append(",\"ageMillis\":").append(opened ? String.valueOf(now - it.record.openedMillis()) : "null")
                        .append(",\"kind\":").append(opened ? Json.quote(it.record.kind().name()) : "null")
                        .append(",\"pool\":").append(it.record == null || it.record.pool() == null ? "null"
                                : Json.quote(it.record.pool().leased() ? "leased" : "in-pool"))
                        .append(",\"peerState\":").append(it.peer == null ? "null" : Json.quote(it.peer.state()))
                        .append(",\"peerSendQ\":").append(it.peer == null ? "null" : String.valueOf(it.peer.sendQ()))
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
