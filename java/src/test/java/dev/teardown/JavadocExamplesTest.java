package dev.teardown;

import dev.teardown.testing.JavadocExamples;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The Javadoc's code examples are what dev.teardown.snippets compiles and SnippetsTest runs. */
class JavadocExamplesTest {
    @Test
    void everyExampleIsItsCompiledRegion() throws Exception {
        JavadocExamples.assertCopiesMatchRegions(Path.of("src/main/java"), Path.of("src/test/java"));
    }
}
