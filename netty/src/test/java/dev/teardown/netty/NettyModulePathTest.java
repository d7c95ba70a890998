package dev.teardown.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.teardown.testing.Requirements;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.spi.ToolProvider;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * teardown, JNA, teardown-netty and Netty all on the module path (the core a named module, the others automatic):
 * {@code NettyTeardown.close(channel, ABORT)} must complete and close the channel, on JDK 17 and on the JDK 21+ the
 * build was given. teardown-netty must use only the core's exported packages; an import of an internal one fails here
 * with IllegalAccessError inside Netty's event loop.
 */
@Timeout(120)
class NettyModulePathTest {
    @Test
    void nettyTeardownCloseWorksOnTheModulePath() throws Exception {
        List<String> path = modulePath();
        Path program = Paths.get("src/test/resources/modulepath/ModulePathClose.java").toAbsolutePath();
        run(Paths.get(System.getProperty("java.home"), "bin", "java"), path, program);
        String jdk21 = System.getProperty("teardown.jdk21.home", "");
        if (jdk21.isEmpty()) {
            System.out.println("NettyModulePathTest: no JDK 21+ given (-Dteardown.jdk21.home): the module-path run on it is"
                    + " skipped; it ran on JDK " + Runtime.version().feature());
        } else {
            run(Paths.get(jdk21, "bin", "java"), path, program);
        }
    }

    /** Compiled classes, by jdeps: teardown-netty uses the core's exported packages only. */
    @Test
    void usesOnlyTheCoresExportedPackages() {
        ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow();
        StringWriter out = new StringWriter();
        int rc = jdeps.run(new PrintWriter(out), new PrintWriter(out), "-verbose:package", "-filter:none",
                "--ignore-missing-deps", "target/classes");
        assertEquals(0, rc, out.toString());
        List<String> internal = Stream.of(out.toString().split("\n"))
                .filter(l -> l.matches("\\s+dev\\.teardown\\.netty\\s+->\\s+dev\\.teardown\\.(posix|internal)\\b.*"))
                .collect(Collectors.toList());
        assertTrue(out.toString().contains("-> dev.teardown "), "jdeps saw teardown-netty use the core:\n" + out);
        assertEquals(List.of(), internal, "teardown-netty must use only packages the core exports");
    }

    private static void run(Path java, List<String> path, Path program) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(java.toString(), "--module-path", String.join(File.pathSeparator, path),
                "--add-modules", "dev.teardown,dev.teardown.netty,com.sun.jna,io.netty.transport",
                "--enable-native-access=ALL-UNNAMED,dev.teardown,com.sun.jna"));
        if (version(java) < 22) {
            cmd.remove(cmd.size() - 1); // JDK 17 has no --enable-native-access
        }
        cmd.add(program.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the module-path run did not end");
        System.out.println("NettyModulePathTest on " + java + ":\n" + out);
        assertEquals(0, p.exitValue(), "NettyTeardown.close on the module path failed:\n" + out);
        assertTrue(out.contains("module dev.teardown,") && out.contains("module dev.teardown.netty"), out);
    }

    private static int version(Path java) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(java.toString(), "-XshowSettings:properties", "-version").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        for (String line : out.split("\n")) {
            if (line.trim().startsWith("java.specification.version")) {
                return Integer.parseInt(line.substring(line.indexOf('=') + 1).trim());
            }
        }
        return 17;
    }

    /** The core's jar, teardown-netty as a jar made from its classes, and JNA's and Netty's jars from the class path. */
    private static List<String> modulePath() throws IOException {
        List<String> path = new ArrayList<>();
        Path core;
        try (Stream<Path> s = Files.list(Paths.get("../java/target"))) {
            core = s.filter(f -> f.getFileName().toString().matches("teardown-[0-9.]+(-SNAPSHOT)?\\.jar")).findFirst()
                    .orElse(null);
        }
        Requirements.require(core != null, "the core's jar in ../java/target (build the reactor: mvn verify)");
        path.add(core.toAbsolutePath().toString());
        Path nettyJar = Paths.get("target/modulepath/teardown-netty.jar").toAbsolutePath();
        Files.createDirectories(nettyJar.getParent());
        Path manifest = nettyJar.getParent().resolve("MANIFEST.MF");
        Files.writeString(manifest, "Automatic-Module-Name: dev.teardown.netty\n");
        ToolProvider jar = ToolProvider.findFirst("jar").orElseThrow();
        StringWriter err = new StringWriter();
        Files.deleteIfExists(nettyJar);
        int rc = jar.run(new PrintWriter(err), new PrintWriter(err), "--create", "--file", nettyJar.toString(),
                "--manifest", manifest.toString(), "-C", "target/classes", ".");
        assertEquals(0, rc, err.toString());
        path.add(nettyJar.toString());
        path.addAll(Stream.of(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> e.endsWith(".jar"))
                .filter(e -> {
                    String n = Paths.get(e).getFileName().toString();
                    return n.startsWith("jna-") || n.startsWith("netty-") && !n.contains("-tests");
                })
                .collect(Collectors.toList()));
        return path;
    }
}
