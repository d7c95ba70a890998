package dev.teardown.publish;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * What a new user gets from the published artifacts: the files the build deployed into {@code target/repo} (the
 * pom's deploy-file executions, what {@code mvn deploy} puts in a repository), and a fresh consumer project with
 * one dependency on {@code dev.teardown:teardown}, resolved by Maven from that repository into a private local
 * repository (never the shared {@code ~/.m2}), compiled and run on the class path and the module path, on JDK 17 (the
 * build's) and on the JDK 22+ the build found.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsumerProjectTest {
    private static final List<String> PUBLISHED = List.of("teardown", "teardown-netty", "teardown-micrometer", "teardown-agent");
    private static final String REFUSED = "teardown: native access refused to teardown's ";

    private final String version = System.getProperty("teardown.version");
    private final Path root = Path.of(System.getProperty("teardown.root"));
    private final Path work = Path.of(System.getProperty("teardown.work"));
    private final Path repo = work.resolve("repo");
    private final Path jdk17 = Path.of(System.getProperty("java.home"));
    private final String jdk22 = property("teardown.ffm.jdk");
    private final boolean jnaOnly = Boolean.parseBoolean(property("teardown.jnaOnly"));

    private Path coreJar;
    private String classPath;

    @BeforeAll
    void deployAndBuildTheConsumer() throws Exception {
        Path local = work.resolve("local-repository");
        deleteTree(work); // a fresh repository and consumer each run: only what this build deploys
        Files.createDirectories(work);
        String shared = Path.of(System.getProperty("teardown.maven.localRepository")).toUri().toString();
        Path settings = work.resolve("settings.xml");
        copyTree(resource("/settings.xml"), settings);
        replace(settings, "@LOCAL@", local.toString(), "@SHARED_URL@", shared);
        Path deployer = work.resolve("deployer");
        copyTree(resource("/deployer"), deployer);
        replace(deployer.resolve("pom.xml"), "@REPO_URL@", repo.toUri().toString(), "@ROOT@", root.toRealPath().toString(),
                "@VERSION@", version);
        Result d = maven(deployer, settings, List.of("validate"));
        assertEquals(0, d.exit, d.all());
        assertTrue(Files.isDirectory(repo.resolve("dev/teardown/teardown")), "nothing deployed into " + repo);
        coreJar = artifact("teardown", ".jar");

        Path project = work.resolve("project");
        copyTree(resource("/consumer"), project);
        replace(project.resolve("pom.xml"), "@REPO_URL@", repo.toUri().toString(), "@VERSION@", version);
        String dependency = "org.apache.maven.plugins:maven-dependency-plugin:3.9.0:";
        Result r = maven(project, settings, List.of(dependency + "tree", "-DoutputFile=tree.txt",
                dependency + "build-classpath", "-Dmdep.outputFile=classpath.txt"));
        assertEquals(0, r.exit, r.all());
        classPath = Files.readString(project.resolve("classpath.txt")).trim();
    }

    /** Maven with the private local repository of settings, every repository but teardown's mirrored to the build's. */
    private Result maven(Path dir, Path settings, List<String> goals) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("teardown.maven.home"), "bin", "mvn").toString(),
                "-B", "-q", "-s", settings.toString()));
        cmd.addAll(goals);
        return run(dir, cmd, 240);
    }

    private static Path resource(String name) throws Exception {
        return Path.of(ConsumerProjectTest.class.getResource(name).toURI());
    }

    @Test
    void theConsumerGetsTeardownAndJnaOnlyFromTheDeployedRepository() throws IOException {
        List<String> tree = Files.readAllLines(work.resolve("project/tree.txt")).stream()
                .map(l -> l.replaceAll("^[+\\\\| -]*", "")).filter(l -> !l.isBlank()).collect(Collectors.toList());
        assertEquals(List.of("example:consumer:jar:1", "dev.teardown:teardown:jar:" + version + ":compile",
                "net.java.dev.jna:jna:jar:5.18.1:compile"), tree);
        List<Path> entries = Arrays.stream(classPath.split(":")).map(Path::of).collect(Collectors.toList());
        Path resolved = entries.stream().filter(p -> p.getFileName().toString().startsWith("teardown-")).findFirst().orElseThrow();
        assertTrue(resolved.startsWith(work.resolve("local-repository")), resolved + " outside the private local repository");
        assertArrayEquals(Files.readAllBytes(coreJar), Files.readAllBytes(resolved), "the consumer got another teardown jar than the one deployed");
    }

    @Test
    void everyPublishedModuleHasItsPomJarSourcesAndJavadoc() throws IOException {
        for (String a : PUBLISHED) {
            assertTrue(Files.size(artifact(a, ".pom")) > 0, a);
            assertTrue(Files.size(artifact(a, ".jar")) > 0, a);
            try (JarFile sources = new JarFile(artifact(a, "-sources.jar").toFile());
                 JarFile javadoc = new JarFile(artifact(a, "-javadoc.jar").toFile())) {
                assertTrue(sources.stream().anyMatch(e -> e.getName().endsWith(".java")), a + "-sources.jar has no .java file");
                assertTrue(javadoc.getEntry("index.html") != null, a + "-javadoc.jar has no index.html");
                assertTrue(javadoc.stream().anyMatch(e -> e.getName().startsWith("dev/teardown/") && e.getName().endsWith(".html")),
                        a + "-javadoc.jar documents no dev.teardown class");
            }
        }
    }

    @Test
    void theCoreJarCarriesTheFfmBinding() throws IOException {
        Assumptions.assumeFalse(jnaOnly, "built with -Dteardown.jnaOnly=true: the jar is JNA-only on purpose");
        try (JarFile jar = new JarFile(coreJar.toFile())) {
            assertEquals("true", jar.getManifest().getMainAttributes().getValue("Multi-Release"));
            assertTrue(jar.getEntry("META-INF/versions/22/dev/teardown/posix/FfmLibc.class") != null, "no FFM binding in " + coreJar);
            assertTrue(jar.getEntry("META-INF/versions/17/module-info.class") != null, "no module descriptor in " + coreJar);
        }
    }

    @Test
    void theConsumerRunsOnJdk17ClassPathAndModulePath() throws Exception {
        Path cp = compile(jdk17, false);
        assertEchoed(java(jdk17, List.of("-cp", cp + ":" + classPath, "consumer.Main")), "null");
        Path mp = compile(jdk17, true);
        assertEchoed(java(jdk17, List.of("--module-path", mp + ":" + classPath, "-m", "consumer/consumer.Main")), "dev.teardown");
    }

    @Test
    void theConsumerRunsOnJdk22PlusWithEitherBinding() throws Exception {
        Path jdk = requireJdk22();
        Path cp = compile(jdk17, false);
        assertEchoed(java(jdk, List.of("--enable-native-access=ALL-UNNAMED", "-Ddev.teardown.binding=ffm", "-cp",
                cp + ":" + classPath, "consumer.Main")), "null");
        assertEchoed(java(jdk, List.of("--enable-native-access=ALL-UNNAMED", "-Ddev.teardown.binding=jna", "-cp",
                cp + ":" + classPath, "consumer.Main")), "null");
        Path mp = compile(jdk17, true);
        assertEchoed(java(jdk, List.of("--enable-native-access=dev.teardown", "-Ddev.teardown.binding=ffm",
                "--module-path", mp + ":" + classPath, "-m", "consumer/consumer.Main")), "dev.teardown");
    }

    @Test
    void deniedNativeAccessIsOneLineOnEitherBinding() throws Exception {
        Path jdk = requireJdk22();
        Path cp = compile(jdk17, false);
        for (String binding : List.of("ffm", "jna")) {
            Result r = java(jdk, List.of("--illegal-native-access=deny", "-Ddev.teardown.binding=" + binding, "-cp",
                    cp + ":" + classPath, "consumer.Main"));
            assertRefusedInOneLine(r, binding.toUpperCase(java.util.Locale.ROOT));
        }
        // a jar built with -Dteardown.jnaOnly=true is this jar without META-INF/versions/22
        Path jnaOnlyJar = withoutVersions22(coreJar, work.resolve("teardown-jna-only.jar"));
        String jnaOnlyPath = classPath.replace(artifactInClassPath(), jnaOnlyJar.toString());
        assertRefusedInOneLine(java(jdk, List.of("--illegal-native-access=deny", "-cp", cp + ":" + jnaOnlyPath, "consumer.Main")), "JNA");
        Result ffm = java(jdk, List.of("--enable-native-access=ALL-UNNAMED", "-Ddev.teardown.binding=ffm", "-cp",
                cp + ":" + jnaOnlyPath, "consumer.Main"));
        assertNotEquals(0, ffm.exit, ffm.all());
        assertTrue(ffm.err.contains("this teardown jar was built JNA-only"), ffm.all());
    }

    private static void assertRefusedInOneLine(Result r, String binding) {
        assertNotEquals(0, r.exit, r.all());
        List<String> said = r.err.lines().filter(l -> l.startsWith("teardown: ")).collect(Collectors.toList());
        assertEquals(1, said.size(), r.all());
        assertTrue(said.get(0).startsWith(REFUSED + binding + " binding") && said.get(0).contains("--enable-native-access="), r.all());
        assertFalse(r.err.contains("ExceptionInInitializerError") || r.err.contains("UnsatisfiedLinkError"), r.all());
        assertTrue(r.err.contains("IllegalStateException: " + said.get(0)), "the first use throws the same sentence\n" + r.all());
    }

    private static void assertEchoed(Result r, String module) {
        assertEquals(0, r.exit, r.all());
        assertTrue(r.out.contains("teardown module: " + module + "\n"), r.all());
        // the server's RST normally ends the connection before the client's RELEASE (loopback delivers it within the
        // server's close), whose close(2) then sends nothing; were the RST still on its way, the client's FIN would go
        assertTrue(r.out.contains("echo: ping\nserver sent: RST, client sent: NOTHING\n")
                || r.out.contains("echo: ping\nserver sent: RST, client sent: FIN\n"), r.all());
        assertFalse(r.err.contains("WARNING"), r.all());
    }

    private Path requireJdk22() {
        Assumptions.assumeFalse(jdk22.isEmpty(), "the build found no JDK 22+ (-Dteardown.jnaOnly=true)");
        return Path.of(jdk22);
    }

    /** The consumer compiled by javac --release 17 for the class path, or with its module-info for the module path. */
    private Path compile(Path jdk, boolean module) throws Exception {
        Path out = work.resolve(module ? "classes-module" : "classes");
        if (Files.isDirectory(out)) {
            return out;
        }
        Path src = work.resolve("project/src/main/java");
        List<String> cmd = new ArrayList<>(List.of(jdk.resolve("bin/javac").toString(), "--release", "17", "-Xlint:all",
                "-Werror", "-d", out.toString()));
        cmd.addAll(module ? List.of("--module-path", classPath) : List.of("-cp", classPath));
        cmd.add(src.resolve("consumer/Main.java").toString());
        if (module) {
            Path info = src.resolve("module-info.java");
            try (InputStream in = ConsumerProjectTest.class.getResourceAsStream("/consumer-module/module-info.java")) {
                Files.copy(in, info, StandardCopyOption.REPLACE_EXISTING);
            }
            cmd.add(info.toString());
        }
        Result r = run(work, cmd, 120);
        if (module) {
            Files.delete(src.resolve("module-info.java"));
        }
        assertEquals(0, r.exit, r.all());
        return out;
    }

    private Result java(Path jdk, List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(jdk.resolve("bin/java").toString());
        cmd.addAll(args);
        return run(work, cmd, 60);
    }

    private String artifactInClassPath() {
        return Arrays.stream(classPath.split(":")).filter(p -> Path.of(p).getFileName().toString().startsWith("teardown-"))
                .findFirst().orElseThrow();
    }

    /** The deployed file of an artifact: a timestamped snapshot, so found by its name's start and end. */
    private Path artifact(String artifactId, String suffix) throws IOException {
        Path dir = repo.resolve("dev/teardown").resolve(artifactId).resolve(version);
        String base = artifactId + "-" + version.replace("-SNAPSHOT", "");
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> found = files.filter(p -> {
                String n = p.getFileName().toString();
                return n.startsWith(base) && n.endsWith(suffix)
                        && (!suffix.equals(".jar") || !n.matches(".*-(sources|javadoc|tests)\\.jar"));
            }).sorted().collect(Collectors.toList());
            assertFalse(found.isEmpty(), "no " + artifactId + " *" + suffix + " deployed in " + dir);
            return found.get(found.size() - 1);
        }
    }

    private static Path withoutVersions22(Path jar, Path copy) throws IOException {
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(jar));
             ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(copy))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                if (!e.getName().startsWith("META-INF/versions/22/")) {
                    out.putNextEntry(new ZipEntry(e.getName()));
                    in.transferTo(out);
                    out.closeEntry();
                }
            }
        }
        return copy;
    }

    private static String property(String name) {
        String v = System.getProperty(name, "");
        return v.startsWith("${") ? "" : v.trim();
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            all.forEach(p -> {
                try {
                    Path t = to.resolve(from.relativize(p).toString());
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(t);
                    } else {
                        Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> all = Files.walk(dir)) {
                for (Path p : all.sorted(java.util.Comparator.reverseOrder()).collect(Collectors.toList())) {
                    Files.delete(p);
                }
            }
        }
    }

    private static void replace(Path file, String... pairs) throws IOException {
        String s = Files.readString(file);
        for (int i = 0; i < pairs.length; i += 2) {
            s = s.replace(pairs[i], pairs[i + 1]);
        }
        Files.writeString(file, s);
    }

    private static Result run(Path dir, List<String> cmd, int seconds) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).start();
        p.getOutputStream().close();
        var err = new java.util.concurrent.CompletableFuture<String>();
        Thread t = new Thread(() -> {
            try (InputStream in = p.getErrorStream()) {
                err.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                err.complete("(stderr unreadable: " + e + ")");
            }
        });
        t.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + ": no exit within " + seconds + " s");
        }
        return new Result(String.join(" ", cmd), p.exitValue(), out, err.get(30, TimeUnit.SECONDS));
    }

    private static final class Result {
        final String cmd;
        final int exit;
        final String out;
        final String err;

        Result(String cmd, int exit, String out, String err) {
            this.cmd = cmd;
            this.exit = exit;
            this.out = out;
            this.err = err;
        }

        String all() {
            return "$ " + cmd + "\nexit " + exit + "\nstdout:\n" + out + "\nstderr:\n" + err;
        }
    }
}
