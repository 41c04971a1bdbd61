package dev.strata.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminTokenFileTest {
  @TempDir Path dir;

  @Test
  void madeOnceOwnerOnlyThenReused() throws Exception {
    Path file = dir.resolve("demo/admin-token");
    AdminTokenFile.Token made = AdminTokenFile.loadOrCreate(file, new SecureRandom());
    assertThat(made.created()).isTrue();
    assertThat(made.value()).startsWith("sta_demo.").hasSizeGreaterThan(40);
    assertThat(made.toString()).doesNotContain(made.value());
    assertThat(Files.getPosixFilePermissions(file))
        .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

    AdminTokenFile.Token again = AdminTokenFile.loadOrCreate(file, new SecureRandom());
    assertThat(again.created()).isFalse();
    assertThat(again.value()).isEqualTo(made.value());
  }

  @Test
  void aTooShortTokenIsRefusedWithTheWayOut() throws Exception {
    Path file = dir.resolve("admin-token");
    Files.writeString(file, "short\n");
    assertThatThrownBy(() -> AdminTokenFile.loadOrCreate(file, new SecureRandom()))
        .hasMessageContaining("5 characters (expected: >= 16; delete it to have a new one made)");
  }
}
