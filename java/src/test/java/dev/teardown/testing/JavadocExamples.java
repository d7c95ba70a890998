package dev.teardown.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The code examples of the Javadoc are copies of regions of test classes ({@code // @start region="name"} to
 * {@code // @end}), which the build compiles and the tests run. Each copy in a doc comment follows a marker
 * {@code <!-- example: fully.qualified.Class#region ... -->} and sits in a {@code <pre>} block, HTML-escaped (so that
 * any JDK's javadoc renders it, and a line starting with {@code @} is not taken for a tag); this check fails when a copy
 * and its region differ, and prints the block to paste.
 */
public final class JavadocExamples {
    private JavadocExamples() {}

    private static final Pattern MARKER = Pattern.compile("<!-- example: ([\\w.]+)#([\\w-]+)");

    /**
     * Fails if an example under {@code mainRoot} differs from its region under {@code testRoot}, or if there is none.
     *
     * @return how many examples were compared
     */
    public static int assertCopiesMatchRegions(Path mainRoot, Path testRoot) throws IOException {
        List<Path> sources;
        try (Stream<Path> all = Files.walk(mainRoot)) {
            sources = all.filter(p -> p.toString().endsWith(".java")).sorted().collect(Collectors.toList());
        }
        int compared = 0;
        List<String> differing = new ArrayList<>();
        for (Path source : sources) {
            List<String> lines = Files.readAllLines(source);
            for (int i = 0; i < lines.size(); i++) {
                Matcher m = MARKER.matcher(lines.get(i));
                if (!m.find()) {
                    continue;
                }
                List<String> copy = new ArrayList<>();
                int j = i + 1;
                if (!lines.get(j).trim().equals("* <pre>")) {
                    differing.add(source + ":" + (i + 1) + ": no <pre> after the marker");
                    continue;
                }
                for (j++; j < lines.size() && !lines.get(j).trim().equals("* </pre>"); j++) {
                    copy.add(unescape(lines.get(j).replaceFirst("^\\s*\\* ?", "")));
                }
                List<String> region = region(testRoot.resolve(m.group(1).replace('.', '/') + ".java"), m.group(2));
                compared++;
                if (!copy.equals(region)) {
                    differing.add(source + ":" + (i + 1) + ": " + m.group(1) + "#" + m.group(2) + " is now:\n * <pre>\n"
                            + region.stream().map(l -> (" * " + escape(l)).stripTrailing()).collect(Collectors.joining("\n"))
                            + "\n * </pre>");
                }
            }
        }
        assertEquals(List.of(), differing, "Javadoc examples that differ from their compiled region");
        assertFalse(compared == 0, "no examples under " + mainRoot);
        return compared;
    }

    /** The lines between {@code // @start region="name"} and {@code // @end}, less their common indentation. */
    static List<String> region(Path file, String name) throws IOException {
        List<String> out = new ArrayList<>();
        boolean inside = false;
        for (String l : Files.readAllLines(file)) {
            if (!inside && l.matches(".*//\\s*@start region=\"" + Pattern.quote(name) + "\".*")) {
                inside = true;
            } else if (inside && l.matches(".*//\\s*@end\\b.*")) {
                break;
            } else if (inside) {
                out.add(l);
            }
        }
        assertFalse(out.isEmpty(), "no region " + name + " in " + file);
        int indent = out.stream().filter(l -> !l.isBlank()).mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        return out.stream().map(l -> l.isBlank() ? "" : l.substring(indent).stripTrailing()).collect(Collectors.toList());
    }

    private static String escape(String l) {
        return l.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("@", "&#64;");
    }

    private static String unescape(String l) {
        return l.replace("&#64;", "@").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").stripTrailing();
    }
}
