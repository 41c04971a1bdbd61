package dev.strata.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataDirsTest {
  @TempDir Path dir;

  @Test
  void oneDemoPerDataDirectory() throws Exception {
    Path data = dir.resolve("demo");
    try (AutoCloseable first = DataDirs.lock(data)) {
      assertThatThrownBy(() -> DataDirs.lock(data))
          .isInstanceOfSatisfying(
              StrataException.class,
              e -> assertThat(e.code()).isEqualTo(ErrorCode.FAILED_PRECONDITION))
          .hasMessage(
              "another strata demo is using "
                  + data.toAbsolutePath()
                  + " (stop it, or pick another --data-dir)");
    }
    DataDirs.lock(data).close(); // free again
  }
}
