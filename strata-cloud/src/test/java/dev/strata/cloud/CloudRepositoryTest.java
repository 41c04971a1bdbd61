package dev.strata.cloud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.control.ManifestVerificationException;
import dev.strata.control.Sha256;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cloud's repository on disk: verified, atomic, idempotent, and clean after failures. */
class CloudRepositoryTest {
  @TempDir Path dir;

  private static CloudRepository.ArtifactSource source(byte[] bytes, AtomicInteger opened) {
    return sha -> {
      opened.incrementAndGet();
      return new ByteArrayInputStream(bytes);
    };
  }

  private List<String> everything() throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile)
          .map(p -> dir.relativize(p).toString())
          .sorted()
          .toList();
    }
  }

  @Test
  void aVersionIsCopiedOnceAndTrustedAfterItWasHashed() throws Exception {
    CloudRepository repo = new CloudRepository(dir);
    byte[] model = "model-bytes".getBytes(StandardCharsets.UTF_8);
    AtomicInteger opened = new AtomicInteger();
    String sha = Sha256.hex(model);
    assertThat(repo.ensureVersion("m", 1, sha, model.length, source(model, opened))).isTrue();
    assertThat(repo.ensureVersion("m", 1, sha, model.length, source(model, opened))).isFalse();
    assertThat(opened).hasValue(1);
    assertThat(Files.readAllBytes(dir.resolve("m/1/model.onnx"))).isEqualTo(model);
    // a fresh process hashes what it finds instead of copying again
    CloudRepository again = new CloudRepository(dir);
    assertThat(again.ensureVersion("m", 1, sha, model.length, source(model, opened))).isFalse();
    assertThat(opened).hasValue(1);
  }

  @Test
  void bytesThatDoNotMatchTheManifestNeverReachTheirPlace() throws Exception {
    CloudRepository repo = new CloudRepository(dir);
    byte[] good = "good".getBytes(StandardCharsets.UTF_8);
    byte[] evil = "evil".getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(
            () ->
                repo.ensureVersion(
                    "m", 1, Sha256.hex(good), good.length, source(evil, new AtomicInteger())))
        .isInstanceOf(ManifestVerificationException.class)
        .hasMessageContaining("expected: 4 bytes with sha256 " + Sha256.hex(good));
    assertThat(everything()).isEmpty();
  }

  @Test
  void aCopyFailingHalfwayLeavesNoFile() throws Exception {
    CloudRepository repo = new CloudRepository(dir);
    CloudRepository.ArtifactSource broken =
        sha ->
            new InputStream() {
              int n;

              @Override
              public int read() throws IOException {
                if (n++ > 10) {
                  throw new IOException("disk gone");
                }
                return 1;
              }
            };
    assertThatThrownBy(() -> repo.ensureVersion("m", 1, "0".repeat(64), 100, broken))
        .isInstanceOf(UncheckedIOException.class);
    assertThat(everything()).isEmpty();
  }

  @Test
  void configServesExactlyTheDeployedVersionsAndIsRewrittenOnlyWhenItChanges() throws Exception {
    CloudRepository repo = new CloudRepository(dir);
    assertThat(repo.writeConfig("m", new TreeSet<>(List.of(2L, 1L)), List.of("cat", "dog")))
        .isTrue();
    assertThat(Files.readString(dir.resolve("m/config.json")))
        .isEqualTo(
            "{\"name\":\"m\",\"version_policy\":{\"specific\":{\"versions\":[1,2]}},\"labels\":\"labels.txt\"}");
    assertThat(Files.readString(dir.resolve("m/labels.txt"))).isEqualTo("cat\ndog\n");
    assertThat(repo.writeConfig("m", new TreeSet<>(List.of(1L, 2L)), List.of("cat", "dog")))
        .isFalse();
    assertThat(repo.writeConfig("m", new TreeSet<>(List.of(2L)), List.of("cat", "dog"))).isTrue();
  }

  @Test
  void retiredVersionsRemovedModelsAndCrashLeftoversGo() throws Exception {
    CloudRepository repo = new CloudRepository(dir);
    for (long v : new long[] {1, 2}) {
      byte[] b = ("v" + v).getBytes(StandardCharsets.UTF_8);
      repo.ensureVersion("m", v, Sha256.hex(b), b.length, source(b, new AtomicInteger()));
    }
    repo.retainVersions("m", Set.of(2L));
    assertThat(everything()).containsExactly("m/2/model.onnx");
    Files.writeString(dir.resolve("m/.v3-123.tmp"), "half");
    Files.createDirectories(dir.resolve(".trash-x-1/1"));
    repo.sweep();
    assertThat(everything()).containsExactly("m/2/model.onnx");
    assertThat(repo.models()).containsExactly("m");
    repo.removeModel("m");
    assertThat(everything()).isEmpty();
    assertThat(repo.models()).isEmpty();
  }
}
