package dev.teardown;

import dev.teardown.testing.ApiDocs;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Every public and protected type and member of the packages module-info exports has a doc comment. */
class ApiDocumentationTest {
    @Test
    void everyExportedDeclarationIsDocumented() throws Exception {
        ApiDocs.assertDocumented(Path.of("src/main/java"), ApiDocs.exportedBy(Path.of("src/main/module-info/module-info.java")));
    }
}
