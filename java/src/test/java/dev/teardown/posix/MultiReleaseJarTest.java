package dev.teardown.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The jar as users get it: nothing compiled for a JDK newer than 17 at its root (a JDK 17 would refuse to load it;
 * see jline/jline3#2284), the FFM binding only under META-INF/versions/22, and this JVM on the binding it should
 * have. Runs against the packaged jar (the jdk22 profile's executions); from target/classes it is skipped.
 */
class MultiReleaseJarTest {
    private static final int JDK17 = 61;
    private static final int JDK22 = 66;

    private static Path jar() throws Exception {
        Path p = Path.of(Libc.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Assumptions.assumeTrue(p.toString().endsWith(".jar"), "runs against the packaged jar, not " + p);
        return p;
    }

    @Test
    void nothingAtTheRootNeedsMoreThanJdk17() throws Exception {
        try (JarFile jf = new JarFile(jar().toFile())) {
            List<String> tooNew = new ArrayList<>();
            int versioned = 0;
            for (Enumeration<JarEntry> e = jf.entries(); e.hasMoreElements();) {
                JarEntry entry = e.nextElement();
                String name = entry.getName();
                if (!name.endsWith(".class")) {
                    continue;
                }
                int major = major(jf, entry);
                if (name.startsWith("META-INF/versions/")) {
                    int version = Integer.parseInt(name.split("/")[2]);
                    assertTrue(major <= 44 + version, name + " is class file version " + major + " under versions/" + version);
                    versioned++;
                } else if (major > JDK17) {
                    tooNew.add(name + " (" + major + ")");
                }
            }
            assertEquals(List.of(), tooNew, "classes at the jar's root compiled for a JDK newer than 17");
            if (versioned > 0) {
                assertEquals("true", jf.getManifest().getMainAttributes().getValue("Multi-Release"),
                        "versioned classes need Multi-Release: true");
                JarEntry ffm = jf.getJarEntry("META-INF/versions/22/dev/teardown/posix/FfmLibc.class");
                assertTrue(ffm != null, "the FFM binding is in the jar");
                assertEquals(JDK22, major(jf, ffm));
                assertTrue(jf.getJarEntry("dev/teardown/posix/FfmLibc.class") == null, "no FFM class at the root");
            }
        }
    }

    @Test
    void thisJvmUsesTheBindingItShould() throws Exception {
        jar();
        String expected = System.getProperty("teardown.expected.binding");
        if (expected == null) {
            expected = Runtime.version().feature() >= 22 ? "ffm" : "jna";
        }
        assertEquals(expected, Libc.binding());
        assertTrue(Libc.getpid() > 0);
    }

    private static int major(JarFile jf, JarEntry entry) throws IOException {
        try (InputStream in = jf.getInputStream(entry); DataInputStream d = new DataInputStream(in)) {
            assertEquals(0xCAFEBABE, d.readInt(), entry.getName());
            d.readUnsignedShort();
            return d.readUnsignedShort();
        }
    }
}
