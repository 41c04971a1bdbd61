package dev.strata.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
  @TempDir Path dir;

  @Test
  void deletesATreeAndToleratesNone() throws Exception {
    Path tree = dir.resolve("a");
    Files.createDirectories(tree.resolve("b/c"));
    Files.writeString(tree.resolve("b/c/file"), "x");
    AtomicFiles.deleteTree(tree);
    assertThat(tree).doesNotExist();
    AtomicFiles.deleteTree(tree);
  }
}
