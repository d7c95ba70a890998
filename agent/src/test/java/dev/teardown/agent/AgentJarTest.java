package dev.teardown.agent;

import dev.teardown.agent.testing.Reader;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent jar goes into every JVM it is loaded into: it carries teardown's classes and ByteBuddy relocated under
 * them, and nothing else. (The tests' clients bring Netty through a BOM that manages some of its native jars at
 * runtime scope; without care the shade step would have put all of Netty into the agent.)
 */
class AgentJarTest {
    @Test
    void theAgentJarHoldsTeardownAndItsShadedByteBuddyOnly() throws Exception {
        try (JarFile jar = new JarFile(Reader.jar())) {
            List<String> foreign = jar.stream().map(ZipEntry::getName)
                    .filter(n -> !n.startsWith("dev/teardown/") && !n.equals("dev/") && !n.startsWith("META-INF/"))
                    .toList();
            assertEquals(List.of(), foreign, "classes or resources of other libraries in the agent jar");
            assertTrue(jar.stream().anyMatch(e -> e.getName().startsWith("dev/teardown/agent/shaded/bytebuddy/")),
                    "ByteBuddy, relocated");
            List<String> meta = jar.stream().map(ZipEntry::getName)
                    .filter(n -> n.startsWith("META-INF/") && (n.endsWith(".class") || n.contains("native")))
                    .toList();
            assertEquals(List.of(), meta, "no classes or native libraries under META-INF");
        }
    }
}
