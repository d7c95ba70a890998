package dev.teardown.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.instrument.Instrumentation;
import java.net.URISyntaxException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;

/**
 * Puts the recorder ({@code dev.teardown.agent.rt}) on the bootstrap class path. The advice is inlined into
 * {@code java.base} classes, which only see the bootstrap loader; so the recorder is copied out of the agent jar into a
 * private temporary jar and appended there, before anything loads it from the agent jar.
 */
final class BootstrapJar {
    private static final String PACKAGE = "dev/teardown/agent/rt/";

    private BootstrapJar() {}

    static void append(Instrumentation inst) throws IOException, URISyntaxException {
        Path source = Path.of(BootstrapJar.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path rt = Files.createTempFile("teardown-agent-rt-", ".jar");
        rt.toFile().deleteOnExit();
        try (OutputStream file = Files.newOutputStream(rt); JarOutputStream out = new JarOutputStream(file)) {
            if (Files.isDirectory(source)) { // the agent's classes in a directory (its own build, an IDE)
                try (DirectoryStream<Path> dir = Files.newDirectoryStream(source.resolve(PACKAGE), "*.class")) {
                    for (Path p : dir) {
                        try (InputStream body = Files.newInputStream(p)) {
                            copy(out, PACKAGE + p.getFileName(), body);
                        }
                    }
                }
            } else {
                try (JarFile in = new JarFile(source.toFile())) {
                    Enumeration<JarEntry> entries = in.entries();
                    while (entries.hasMoreElements()) {
                        JarEntry e = entries.nextElement();
                        if (e.getName().startsWith(PACKAGE) && e.getName().endsWith(".class")) {
                            try (InputStream body = in.getInputStream(e)) {
                                copy(out, e.getName(), body);
                            }
                        }
                    }
                }
            }
        }
        inst.appendToBootstrapClassLoaderSearch(new JarFile(rt.toFile()));
    }

    private static void copy(JarOutputStream out, String name, InputStream body) throws IOException {
        out.putNextEntry(new JarEntry(name));
        body.transferTo(out);
        out.closeEntry();
    }
}
