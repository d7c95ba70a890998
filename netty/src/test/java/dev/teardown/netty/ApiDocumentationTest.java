package dev.teardown.netty;

import dev.teardown.testing.ApiDocs;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every public and protected type and member of dev.teardown.netty has a doc comment. */
class ApiDocumentationTest {
    @Test
    void everyPublicDeclarationIsDocumented() throws Exception {
        ApiDocs.assertDocumented(Path.of("src/main/java"), List.of("dev.teardown.netty"));
    }
}
