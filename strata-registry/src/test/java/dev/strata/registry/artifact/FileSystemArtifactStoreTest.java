package dev.strata.registry.artifact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.api.Artifact;
import dev.strata.control.Sha256;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileSystemArtifactStoreTest {
  @TempDir Path dir;

  private static InputStream bytes(String s) {
    return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
  }

  private long filesUnder(Path p) throws IOException {
    try (Stream<Path> s = Files.walk(p)) {
      return s.filter(Files::isRegularFile).count();
    }
  }

  @Test
  void storesContentAddressedAndDeduplicates() throws IOException {
    var store = FileSystemArtifactStore.open(dir);
    Artifact a = store.put(bytes("hello"), 100, Optional.empty());
    String expected = Sha256.hex("hello".getBytes(StandardCharsets.UTF_8));
    assertThat(a.sha256()).isEqualTo(expected);
    assertThat(a.size()).isEqualTo(5);
    assertThat(dir.resolve("sha256").resolve(expected.substring(0, 2)).resolve(expected))
        .hasContent("hello");
    assertThat(store.put(bytes("hello"), 100, Optional.of(expected)))
        .extracting(Artifact::sha256)
        .isEqualTo(expected);
    assertThat(store.list()).extracting(Artifact::sha256).containsExactly(expected);
    assertThat(filesUnder(dir.resolve("tmp"))).isZero();
  }

  @Test
  void tooLargeUploadFailsAndLeavesNothing() throws IOException {
    var store = FileSystemArtifactStore.open(dir);
    assertThatThrownBy(() -> store.put(bytes("0123456789"), 9, Optional.empty()))
        .isInstanceOfSatisfying(
            StrataException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.PAYLOAD_TOO_LARGE))
        .hasMessageContaining("more than 9 bytes");
    assertThat(filesUnder(dir)).isZero();
    assertThat(store.put(bytes("012345678"), 9, Optional.empty()).size()).isEqualTo(9);
  }

  @Test
  void digestMismatchFailsAndLeavesNothing() throws IOException {
    var store = FileSystemArtifactStore.open(dir);
    String wrong = Sha256.hex(new byte[] {1});
    assertThatThrownBy(() -> store.put(bytes("hello"), 100, Optional.of(wrong)))
        .isInstanceOfSatisfying(
            StrataException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
        .hasMessageContaining("expected: " + wrong);
    assertThat(filesUnder(dir)).isZero();
  }

  @Test
  void failingStreamLeavesNothing() throws IOException {
    var store = FileSystemArtifactStore.open(dir);
    InputStream broken =
        new InputStream() {
          int n;

          @Override
          public int read() throws IOException {
            if (n++ > 1000) {
              throw new IOException("connection reset");
            }
            return 7;
          }
        };
    assertThatThrownBy(() -> store.put(broken, 1 << 20, Optional.empty()))
        .hasMessageContaining("connection reset");
    assertThat(filesUnder(dir)).isZero();
  }

  @Test
  void openingSweepsLeftoverTemporaryFiles() throws IOException {
    FileSystemArtifactStore.open(dir);
    Files.writeString(dir.resolve("tmp").resolve("upload-123.part"), "half an upload");
    FileSystemArtifactStore.open(dir);
    assertThat(filesUnder(dir)).isZero();
  }

  @Test
  void opensRangesForResumedDownloads() throws IOException {
    var store = FileSystemArtifactStore.open(dir);
    Artifact a = store.put(bytes("0123456789"), 100, Optional.empty());
    try (ArtifactContent c = store.open(a.sha256(), 4, 3)) {
      assertThat(new String(c.stream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("456");
      assertThat(c.isWhole()).isFalse();
    }
    try (ArtifactContent c = store.open(a.sha256(), 7, Long.MAX_VALUE)) {
      assertThat(c.length()).isEqualTo(3);
      assertThat(new String(c.stream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("789");
    }
    try (ArtifactContent c = store.open(a.sha256())) {
      assertThat(c.isWhole()).isTrue();
    }
    assertThatThrownBy(() -> store.open(a.sha256(), 10, 1))
        .hasMessageContaining("range offset: 10");
    String absent = Sha256.hex(new byte[] {2});
    assertThatThrownBy(() -> store.open(absent))
        .isInstanceOfSatisfying(
            StrataException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
    assertThat(store.delete(a.sha256())).isTrue();
    assertThat(store.exists(a.sha256())).isFalse();
  }

  @Test
  void rejectsMalformedDigests() {
    var store = FileSystemArtifactStore.open(dir);
    assertThatThrownBy(() -> store.stat("../../etc/passwd"))
        .hasMessageContaining("expected: 64 lowercase hex characters");
  }
}
