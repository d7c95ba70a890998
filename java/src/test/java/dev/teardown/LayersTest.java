package dev.teardown;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * The layers, checked on the compiled classes by {@code jdeps}: {@code posix} and {@code internal} at the bottom
 * (they import nothing of teardown), the core above them, {@code inspect}, {@code spawn} and {@code junit} above the
 * core, and no package cycle. Every edge between teardown's packages must be listed here.
 */
class LayersTest {
    private static final String CORE = "dev.teardown";
    private static final String POSIX = "dev.teardown.posix";
    private static final String INTERNAL = "dev.teardown.internal";
    private static final String INSPECT = "dev.teardown.inspect";

    /** Package to the teardown packages it may use. */
    private static final Map<String, Set<String>> ALLOWED = Map.of(
            POSIX, Set.of(),
            INTERNAL, Set.of(),
            CORE, Set.of(POSIX, INTERNAL),
            INSPECT, Set.of(CORE, POSIX, INTERNAL),
            "dev.teardown.inspect.hooks", Set.of(CORE, INSPECT, INTERNAL),
            "dev.teardown.spawn", Set.of(CORE, POSIX, INTERNAL),
            "dev.teardown.jdk", Set.of(CORE, INSPECT, POSIX, INTERNAL),
            "dev.teardown.junit", Set.of(CORE, INSPECT, POSIX, INTERNAL));

    private static final Pattern EDGE = Pattern.compile("^\\s+(dev\\.teardown[\\w.]*)\\s+->\\s+(dev\\.teardown[\\w.]*)\\s");

    /** The package edges jdeps finds in {@code dir}, by source package. */
    static Map<String, Set<String>> edges(Path dir) {
        ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow(() -> new AssertionError("no jdeps in this JDK"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = jdeps.run(new PrintWriter(out), new PrintWriter(err), "-verbose:package", "-filter:none",
                "--ignore-missing-deps", dir.toString());
        assertEquals(0, rc, err.toString());
        Map<String, Set<String>> edges = new TreeMap<>();
        for (String line : out.toString().split("\n")) {
            Matcher m = EDGE.matcher(line);
            if (m.find() && !m.group(1).equals(m.group(2))) {
                edges.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(m.group(2));
            }
        }
        return edges;
    }

    /** The edges of {@code edges} that {@code allowed} does not list. */
    static List<String> forbidden(Map<String, Set<String>> edges, Map<String, Set<String>> allowed) {
        List<String> bad = new ArrayList<>();
        edges.forEach((from, tos) -> {
            Set<String> ok = allowed.get(from);
            for (String to : tos) {
                if (ok == null || !ok.contains(to)) {
                    bad.add(from + " -> " + to);
                }
            }
        });
        return bad;
    }

    @Test
    void theLayersHoldAndNoPackageCycle() {
        Path classes = Path.of("target/classes");
        assertTrue(Files.isDirectory(classes.resolve("dev/teardown")), "compiled classes in " + classes.toAbsolutePath());
        Map<String, Set<String>> edges = edges(classes);
        System.out.println("package edges (jdeps): " + edges);
        assertTrue(edges.getOrDefault(CORE, Set.of()).contains(POSIX), "jdeps saw the core use posix: " + edges);
        assertEquals(List.of(), forbidden(edges, ALLOWED), "package edges outside the layers");
        Path v22 = classes.resolve("META-INF/versions/22");
        if (Files.isDirectory(v22)) {
            assertEquals(List.of(), forbidden(edges(v22), ALLOWED), "the FFM binding's edges");
        }
    }

    /**
     * The run-time edges jdeps cannot see: each service the core loads ({@code META-INF/services}) is an interface at
     * the bottom that takes no untyped {@code Object} (a core class reaches it through a type parameter the provider
     * binds to that class), and is implemented above the core. So the core
     * calls up only through an interface it owns the types of, and the provider's package may use the core.
     */
    @Test
    void serviceLoadingGoesUpTheLayersOnly() throws Exception {
        Path services = Path.of("target/classes/META-INF/services");
        assertTrue(Files.isDirectory(services), "service files in " + services.toAbsolutePath());
        List<String> checked = new ArrayList<>();
        try (var files = Files.list(services)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String service = f.getFileName().toString();
                String servicePackage = service.substring(0, service.lastIndexOf('.'));
                assertEquals(INTERNAL, servicePackage, service + ": a service the core loads lives in " + INTERNAL);
                Class<?> type = Class.forName(service);
                assertTrue(type.isInterface(), service + " is an interface");
                for (java.lang.reflect.Method m : type.getMethods()) {
                    for (java.lang.reflect.Type t : m.getGenericParameterTypes()) {
                        assertTrue(t != Object.class || m.getDeclaringClass() == Object.class,
                                service + "." + m.getName() + " takes an untyped Object: type it by a parameter bound to the"
                                        + " core's class");
                    }
                }
                for (String line : Files.readAllLines(f)) {
                    String provider = line.replaceAll("#.*", "").trim();
                    if (provider.isEmpty()) {
                        continue;
                    }
                    String providerPackage = provider.substring(0, provider.lastIndexOf('.'));
                    Set<String> uses = ALLOWED.get(providerPackage);
                    assertTrue(uses != null && uses.contains(CORE) && uses.contains(INTERNAL),
                            provider + " (a provider of " + service + ") must sit above the core: " + uses);
                    Class<?> impl = Class.forName(provider);
                    assertTrue(type.isAssignableFrom(impl), provider + " implements " + service);
                    boolean typedByCore = type.getTypeParameters().length == 0; // names no core type at all
                    for (java.lang.reflect.Type t : impl.getGenericInterfaces()) {
                        if (t instanceof java.lang.reflect.ParameterizedType pt && pt.getRawType() == type) {
                            for (java.lang.reflect.Type arg : pt.getActualTypeArguments()) {
                                typedByCore |= arg instanceof Class<?> c && c.getPackageName().equals(CORE);
                            }
                        }
                    }
                    assertTrue(typedByCore, provider + " binds " + service + "'s type parameter to a core class");
                    checked.add(service + " <- " + provider);
                }
            }
        }
        System.out.println("services: " + checked);
        assertTrue(!checked.isEmpty(), "at least the inspect package's close observer is loaded by the core");
    }

    @Test
    void theCheckCatchesACycle() {
        Map<String, Set<String>> cyclic = Map.of(CORE, Set.of(POSIX, INSPECT), INSPECT, Set.of(CORE));
        assertEquals(List.of("dev.teardown -> dev.teardown.inspect"), forbidden(cyclic, ALLOWED));
    }
}
