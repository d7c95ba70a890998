import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Finds the JDK 22+ that compiles teardown's FFM binding, so that a plain {@code mvn install} builds the full
 * multi-release jar. Run by the build (maven-antrun-plugin, in the
 * modules that need it) with the single-file source launcher:
 * <pre>java build/FindJdk.java OUT.properties EXPLICIT_HOME TOOLCHAINS_XML</pre>
 * Looks, in this order, at the explicit {@code -Dteardown.jdk22.home}, the jdk toolchains of Maven's
 * {@code toolchains.xml}, {@code $TEARDOWN_JDK22}, {@code $JAVA_HOME}, and the usual JDK folders
 * ({@code /usr/lib/jvm}, {@code /usr/java}, {@code /opt/java}, macOS's {@code /Library/Java/JavaVirtualMachines},
 * SDKMAN!'s and IntelliJ's folders); among the discovered ones the newest wins. Writes
 * {@code teardown.ffm.jdk} (the home, empty when none), {@code teardown.ffm.version} and
 * {@code teardown.ffm.searched}; never fails itself: the build decides (java/pom.xml).
 */
public class FindJdk {
    private static final int MIN = 22;

    public static void main(String[] args) throws IOException {
        Path out = Paths.get(args[0]);
        String explicit = args.length > 1 ? args[1].trim() : "";
        Path toolchains = args.length > 2 ? Paths.get(args[2]) : null;
        Properties p = new Properties();
        Set<String> searched = new LinkedHashSet<>();
        String home = "";
        int version = 0;
        boolean configuredWon = false;
        if (!explicit.isEmpty() && !explicit.startsWith("${")) {
            searched.add(explicit);
            int v = feature(Paths.get(explicit));
            if (v >= MIN) {
                home = explicit;
                version = v;
            }
            p.setProperty("teardown.ffm.explicit", "true");
        } else {
            List<Path> candidates = new ArrayList<>(fromToolchains(toolchains));
            for (String env : new String[] {"TEARDOWN_JDK22", "JAVA_HOME"}) {
                String v = System.getenv(env);
                if (v != null && !v.isBlank()) {
                    candidates.add(Paths.get(v));
                }
            }
            int configured = candidates.size();
            String user = System.getProperty("user.home");
            for (String dir : new String[] {"/usr/lib/jvm", "/usr/java", "/opt/java", "/Library/Java/JavaVirtualMachines",
                    user + "/.sdkman/candidates/java", user + "/.jdks"}) {
                children(Paths.get(dir), candidates);
            }
            for (int i = 0; i < candidates.size(); i++) {
                Path c = candidates.get(i);
                Path h = Files.isDirectory(c.resolve("Contents/Home")) ? c.resolve("Contents/Home") : c;
                searched.add(h.toString());
                int v = feature(h);
                // the first configured JDK 22+ (toolchains.xml, environment) wins; else the newest discovered one
                if (v >= MIN && (home.isEmpty() || i >= configured && version < v && !configuredWon)) {
                    home = h.toString();
                    version = v;
                    configuredWon = i < configured;
                }
            }
        }
        p.setProperty("teardown.ffm.jdk", home);
        p.setProperty("teardown.ffm.version", Integer.toString(version));
        p.setProperty("teardown.ffm.searched", searched.isEmpty() ? "(nothing)" : String.join(", ", searched));
        Files.createDirectories(out.toAbsolutePath().getParent());
        try (var w = Files.newBufferedWriter(out)) {
            p.store(w, "written by build/FindJdk.java");
        }
    }

    private static void children(Path dir, List<Path> into) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            List<Path> sorted = new ArrayList<>();
            s.forEach(c -> {
                if (Files.isDirectory(c)) {
                    sorted.add(c);
                }
            });
            sorted.sort(null);
            into.addAll(sorted);
        } catch (IOException e) {
            // an unreadable folder holds no JDK we could use
        }
    }

    /** The jdk toolchains' homes from a Maven toolchains.xml, in file order. */
    private static List<Path> fromToolchains(Path file) {
        List<Path> homes = new ArrayList<>();
        if (file == null || !Files.isRegularFile(file)) {
            return homes;
        }
        try {
            var doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile());
            NodeList chains = doc.getElementsByTagName("toolchain");
            for (int i = 0; i < chains.getLength(); i++) {
                Element t = (Element) chains.item(i);
                NodeList type = t.getElementsByTagName("type");
                NodeList jdkHome = t.getElementsByTagName("jdkHome");
                if (type.getLength() > 0 && type.item(0).getTextContent().trim().equals("jdk") && jdkHome.getLength() > 0) {
                    homes.add(Paths.get(jdkHome.item(0).getTextContent().trim()));
                }
            }
        } catch (Exception e) {
            System.err.println("teardown: could not read " + file + " (" + e.getMessage() + "): toolchains ignored");
        }
        return homes;
    }

    /** The feature version of the JDK (with javac and javadoc) at home, or 0. */
    private static int feature(Path home) {
        if (!Files.isExecutable(home.resolve("bin/javac")) || !Files.isExecutable(home.resolve("bin/javadoc"))) {
            return 0;
        }
        try {
            for (String line : Files.readAllLines(home.resolve("release"))) {
                Matcher m = Pattern.compile("^JAVA_VERSION=\"?(\\d+)").matcher(line);
                if (m.find()) {
                    return Integer.parseInt(m.group(1));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // no release file: not a JDK 9+
        }
        return 0;
    }
}
