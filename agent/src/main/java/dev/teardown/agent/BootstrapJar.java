package dev.teardown.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.instrument.Instrumentation;
import java.net.URISyntaxException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;

/**
 * Puts the recorder ({@code dev.teardown.agent.rt}) on the bootstrap class path. The advice is inlined into
 * {@code java.base} classes, which only see the bootstrap loader; so the recorder is copied out of the agent jar into
 * a jar of its own and appended there, before anything loads it from the agent jar. That jar is named after the
 * digest of the classes in it and kept in a directory only this user can write ({@code teardown-agent-UID} in the
 * temporary folder): every JVM started with the same agent reuses one file (a JVM that is killed cannot delete what
 * it wrote), and a file that is not this user's, or whose content does not match its name, is never loaded.
 */
final class BootstrapJar {
    private static final String PACKAGE = "dev/teardown/agent/rt/";

    private BootstrapJar() {}

    static void append(Instrumentation inst) throws IOException, URISyntaxException {
        Map<String, byte[]> classes = classes();
        String digest = digest(classes);
        Path dir = privateDirectory();
        Path rt = dir.resolve("teardown-agent-rt-" + digest.substring(0, 32) + ".jar");
        if (!Files.isRegularFile(rt, LinkOption.NOFOLLOW_LINKS) || !digest.equals(digest(read(rt)))) {
            Path tmp = Files.createTempFile(dir, "rt-", ".tmp");
            try {
                try (OutputStream file = Files.newOutputStream(tmp); JarOutputStream out = new JarOutputStream(file)) {
                    for (Map.Entry<String, byte[]> e : classes.entrySet()) {
                        out.putNextEntry(new JarEntry(e.getKey()));
                        out.write(e.getValue());
                        out.closeEntry();
                    }
                }
                try {
                    Files.move(tmp, rt, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, rt, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
        inst.appendToBootstrapClassLoaderSearch(new JarFile(rt.toFile()));
    }

    /** The recorder's class files, by entry name, from the agent jar or from its classes directory. */
    private static Map<String, byte[]> classes() throws IOException, URISyntaxException {
        Path source = Path.of(BootstrapJar.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Map<String, byte[]> out = new TreeMap<>();
        if (Files.isDirectory(source)) { // the agent's classes in a directory (its own build, an IDE)
            try (DirectoryStream<Path> dir = Files.newDirectoryStream(source.resolve(PACKAGE), "*.class")) {
                for (Path p : dir) {
                    out.put(PACKAGE + p.getFileName(), Files.readAllBytes(p));
                }
            }
        } else {
            try (JarFile in = new JarFile(source.toFile())) {
                Enumeration<JarEntry> entries = in.entries();
                while (entries.hasMoreElements()) {
                    JarEntry e = entries.nextElement();
                    if (e.getName().startsWith(PACKAGE) && e.getName().endsWith(".class")) {
                        try (InputStream body = in.getInputStream(e)) {
                            out.put(e.getName(), body.readAllBytes());
                        }
                    }
                }
            }
        }
        return out;
    }

    /** The class files of a jar written before; empty when it cannot be read. */
    private static Map<String, byte[]> read(Path jar) {
        Map<String, byte[]> out = new TreeMap<>();
        try (JarFile in = new JarFile(jar.toFile())) {
            Enumeration<JarEntry> entries = in.entries();
            while (entries.hasMoreElements()) {
                JarEntry e = entries.nextElement();
                if (!e.isDirectory() && !e.getName().startsWith("META-INF/")) {
                    try (InputStream body = in.getInputStream(e)) {
                        out.put(e.getName(), body.readAllBytes());
                    }
                }
            }
        } catch (IOException | SecurityException e) {
            return Map.of();
        }
        return out;
    }

    private static String digest(Map<String, byte[]> classes) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (Map.Entry<String, byte[]> e : classes.entrySet()) {
                sha.update(e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                sha.update((byte) 0);
                sha.update(e.getValue());
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code <tmpdir>/teardown-agent-UID}, made 0700 if missing; refused when another user owns it or may write it. */
    private static Path privateDirectory() throws IOException {
        int uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "teardown-agent-" + uid);
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (java.nio.file.FileAlreadyExistsException e) {
                // made by another JVM meanwhile: checked below
            }
        }
        int owner = (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS);
        if (owner != uid || !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
                || perms.contains(PosixFilePermission.GROUP_WRITE) || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
            throw new IOException(dir + " is not a directory of uid " + uid + " that only it can write");
        }
        return dir;
    }
}
