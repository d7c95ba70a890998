package dev.teardown.posix;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Compares teardown's compiled-in constants with what the C header probe ({@code src/test/c/header_probe.c})
 * printed. A probe line is {@code <Class.FIELD> <value> <header>}, {@code <Class.FIELD> >=<value> <what>} (the Java
 * value is a size that must hold it), or {@code <Class.FIELD> ? <reason>} (these headers cannot show it).
 */
final class HeaderCheck {
    private HeaderCheck() {}

    /** The posix classes whose primitive constants are checked. */
    static final List<Class<?>> CLASSES = List.of(Os.class, Errno.class, TcpInfoLayout.class, Sockaddr.class,
            SockDiag.class, SpawnLibc.class, Buffers.class, NetNamespace.class);

    /** Constants that are teardown's own choices or kernel-internal values, with why no header has them. */
    static final Map<String, String> NOT_IN_HEADERS = Map.of(
            "Os.MAX_LINGER2_SECONDS", "TCP_FIN_TIMEOUT_MAX, kernel-internal (include/net/tcp.h)",
            "Os.MAX_KEEPALIVE_SECONDS", "MAX_TCP_KEEPIDLE / MAX_TCP_KEEPINTVL, kernel-internal (include/net/tcp.h)",
            "Os.MAX_KEEPCNT", "MAX_TCP_KEEPCNT, kernel-internal (include/net/tcp.h)",
            "SockDiag.RECV_SIZE", "teardown's receive buffer size",
            "Buffers.LINGER_ZERO", "a native address, not a constant");

    /** Every static final int, long, short or byte of {@link #CLASSES}, by "Class.FIELD". */
    static Map<String, Long> javaConstants() throws IllegalAccessException {
        Map<String, Long> out = new TreeMap<>();
        for (Class<?> c : CLASSES) {
            for (Field f : c.getDeclaredFields()) {
                int m = f.getModifiers();
                Class<?> t = f.getType();
                if (!Modifier.isStatic(m) || !Modifier.isFinal(m) || f.isSynthetic()
                        || !(t == int.class || t == long.class || t == short.class || t == byte.class)) {
                    continue;
                }
                f.setAccessible(true);
                out.put(c.getSimpleName() + "." + f.getName(), ((Number) f.get(null)).longValue());
            }
        }
        return out;
    }

    /**
     * The differences, one line each naming the constant and both values; empty when the tables agree. Every Java
     * constant needs a probe line or a reason in {@link #NOT_IN_HEADERS}; every probe line needs a Java constant.
     * {@code unchecked} receives the constants these headers cannot show.
     */
    static List<String> mismatches(List<String> probe, Map<String, Long> java, List<String> unchecked) {
        List<String> bad = new ArrayList<>();
        Map<String, Boolean> seen = new TreeMap<>();
        for (String line : probe) {
            if (line.isBlank()) {
                continue;
            }
            String[] p = line.split(" ", 3);
            String name = p[0];
            String header = p.length > 2 ? p[2] : "";
            seen.put(name, true);
            Long j = java.get(name);
            if (j == null) {
                bad.add(name + ": probed (" + line + ") but no such Java constant");
                continue;
            }
            if (p[1].equals("?")) {
                unchecked.add(name + " = " + j + ": " + header);
            } else if (p[1].startsWith(">=")) {
                long min = Long.parseLong(p[1].substring(2));
                if (j < min) {
                    bad.add(name + ": Java " + j + ", C needs at least " + min + " (" + header + ")");
                }
            } else {
                long c = Long.parseLong(p[1]);
                if (j != c) {
                    bad.add(name + ": Java " + j + ", C " + c + " (" + header + ")");
                }
            }
        }
        for (String name : java.keySet()) {
            if (!seen.containsKey(name) && !NOT_IN_HEADERS.containsKey(name)) {
                bad.add(name + ": Java " + java.get(name) + ", not checked: add it to src/test/c/header_probe.c"
                        + " (or, if no header has it, to HeaderCheck.NOT_IN_HEADERS with the reason)");
            }
        }
        return bad;
    }
}
