package dev.teardown.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The JDK 22+ copies of {@link Libc}, {@link LinuxLibc} and {@link SpawnLibc} (META-INF/versions/22) offer exactly the
 * public methods of the copies at the jar's root, so that code compiled against one runs on the other. Runs on a
 * JDK 22+ against the packaged jar (which then loads the versioned copies), comparing with the root's class files.
 */
class BindingParityTest {
    @Test
    void versionedBindingHasTheRootsMethods() throws Exception {
        Assumptions.assumeTrue(Runtime.version().feature() >= 22, "runs on a JDK 22+");
        Path jar = Path.of(Libc.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Assumptions.assumeTrue(jar.toString().endsWith(".jar"), "needs the multi-release jar, not " + jar);
        try (JarFile root = new JarFile(jar.toFile())) { // opened without versioning: its root entries
            for (Class<?> c : List.of(Libc.class, LinuxLibc.class, SpawnLibc.class)) {
                String entry = c.getName().replace('.', '/') + ".class";
                byte[] bytes = root.getInputStream(root.getJarEntry(entry)).readAllBytes();
                Class<?> rootCopy = new ClassLoader(ClassLoader.getPlatformClassLoader()) {
                    Class<?> define() {
                        return defineClass(c.getName(), bytes, 0, bytes.length);
                    }
                }.define();
                assertEquals(signatures(rootCopy), signatures(c), c.getSimpleName() + ": root vs versions/22");
            }
        }
    }

    private static String signatures(Class<?> c) {
        return Arrays.stream(c.getDeclaredMethods()).filter(m -> Modifier.isPublic(m.getModifiers()))
                .map(BindingParityTest::signature).collect(Collectors.toCollection(TreeSet::new)).toString();
    }

    private static String signature(Method m) {
        return m.getReturnType().getName() + " " + m.getName() + Arrays.toString(m.getParameterTypes());
    }
}
