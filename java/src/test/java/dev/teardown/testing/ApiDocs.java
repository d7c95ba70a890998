package dev.teardown.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.DocumentationTool;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * The build's check that every public and protected type and member of the exported packages has a doc comment:
 * javadoc's doclint, group {@code missing}, on those packages only, run over a module's main sources with the test
 * class path, as {@code mvn javadoc:javadoc} with {@code -Xdoclint:missing} would. Only "no comment" counts (a type,
 * member, serialized field or default constructor without one); doclint's same group also asks for every
 * {@code @param} and {@code @return}, which this does not enforce. The Javadoc jars are built with doclint's other
 * groups failing the build (the parent pom's javadoc plugin).
 */
public final class ApiDocs {
    private ApiDocs() {}

    /** The packages a module-info.java exports. */
    public static List<String> exportedBy(Path moduleInfo) throws IOException {
        Matcher m = Pattern.compile("(?m)^\\s*exports\\s+([\\w.]+)\\s*;").matcher(Files.readString(moduleInfo));
        List<String> packages = new ArrayList<>();
        while (m.find()) {
            packages.add(m.group(1));
        }
        assertFalse(packages.isEmpty(), "no exports in " + moduleInfo);
        return packages;
    }

    /** Fails listing every public or protected declaration of {@code packages} under {@code sourceRoot} without a comment. */
    public static void assertDocumented(Path sourceRoot, List<String> packages) throws IOException {
        DocumentationTool javadoc = ToolProvider.getSystemDocumentationTool();
        DiagnosticCollector<JavaFileObject> found = new DiagnosticCollector<>();
        Path out = Files.createTempDirectory("teardown-apidocs");
        List<Path> sources;
        try (Stream<Path> all = Files.walk(sourceRoot)) {
            sources = all.filter(p -> p.toString().endsWith(".java") && !p.getFileName().toString().equals("module-info.java")
                            && packages.contains(sourceRoot.relativize(p.getParent()).toString().replace('/', '.')))
                    .collect(Collectors.toList());
        }
        try (StandardJavaFileManager files = javadoc.getStandardFileManager(found, Locale.ROOT, null)) {
            List<String> options = new ArrayList<>(List.of("-quiet", "-Xmaxwarns", "100000", "-Xdoclint:missing",
                    "-Xdoclint/package:" + String.join(",", packages), "-cp", System.getProperty("java.class.path"),
                    "-d", out.toString()));
            StringWriter log = new StringWriter();
            boolean ok = javadoc.getTask(log, files, found, null, options, files.getJavaFileObjectsFromPaths(sources)).call();
            assertEquals(true, ok, "javadoc failed:\n" + log + found.getDiagnostics());
        } finally {
            deleteTree(out);
        }
        List<String> undocumented = found.getDiagnostics().stream()
                .filter(d -> d.getKind() == Diagnostic.Kind.WARNING)
                .filter(d -> {
                    String msg = d.getMessage(Locale.ROOT);
                    return msg.contains("no comment") || msg.contains("default constructor");
                })
                .map(d -> d.getSource().getName().replace(sourceRoot.toString() + "/", "") + ":" + d.getLineNumber() + ": "
                        + d.getMessage(Locale.ROOT))
                .collect(Collectors.toList());
        assertEquals(List.of(), undocumented, undocumented.size() + " exported declarations without a doc comment");
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).collect(Collectors.toList())) {
                Files.delete(p);
            }
        }
    }
}
