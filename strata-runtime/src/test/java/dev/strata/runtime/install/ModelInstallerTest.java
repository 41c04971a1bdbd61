package dev.strata.runtime.install;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.control.ManifestVerificationException;
import dev.strata.control.Sha256;
import dev.strata.runtime.ModelConfig;
import dev.strata.runtime.backend.Backends;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runtime's repository as installed: verified, atomic, idempotent, clean after failures. */
class ModelInstallerTest {
  @TempDir Path dir;

  private static ModelInstaller.ArtifactSource source(byte[] bytes, AtomicInteger opened) {
    return () -> {
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
    ModelInstaller repo = new ModelInstaller(dir, Backends.builtIn());
    byte[] model = "model-bytes".getBytes(StandardCharsets.UTF_8);
    AtomicInteger opened = new AtomicInteger();
    String sha = Sha256.hex(model);
    assertThat(repo.install("m", 1, "onnx", sha, model.length, source(model, opened))).isTrue();
    assertThat(repo.install("m", 1, "onnx", sha, model.length, source(model, opened))).isFalse();
    assertThat(opened).hasValue(1);
    assertThat(Files.readAllBytes(dir.resolve("m/1/model.onnx"))).isEqualTo(model);
    // a fresh process hashes what it finds instead of copying again
    ModelInstaller again = new ModelInstaller(dir, Backends.builtIn());
    assertThat(again.install("m", 1, "onnx", sha, model.length, source(model, opened))).isFalse();
    assertThat(opened).hasValue(1);
  }

  @Test
  void bytesThatDoNotMatchTheManifestNeverReachTheirPlace() throws Exception {
    ModelInstaller repo = new ModelInstaller(dir, Backends.builtIn());
    byte[] good = "good".getBytes(StandardCharsets.UTF_8);
    byte[] evil = "evil".getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(
            () ->
                repo.install(
                    "m",
                    1,
                    "onnx",
                    Sha256.hex(good),
                    good.length,
                    source(evil, new AtomicInteger())))
        .isInstanceOf(ManifestVerificationException.class)
        .hasMessageContaining("expected: 4 bytes with sha256 " + Sha256.hex(good));
    assertThat(everything()).isEmpty();
  }

  @Test
  void aCopyFailingHalfwayLeavesNoFile() throws Exception {
    ModelInstaller repo = new ModelInstaller(dir, Backends.builtIn());
    ModelInstaller.ArtifactSource broken =
        () ->
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
    assertThatThrownBy(() -> repo.install("m", 1, "onnx", "0".repeat(64), 100, broken))
        .isInstanceOf(UncheckedIOException.class);
    assertThat(everything()).isEmpty();
  }

  @Test
  void configServesExactlyTheDeployedVersionsAndIsRewrittenOnlyWhenItChanges() throws Exception {
    ModelInstaller repo = new ModelInstaller(dir, Backends.builtIn());
    ModelConfig two = ModelConfig.builder().versions(List.of(2L, 1L)).build();
    assertThat(repo.configure("m", two, List.of("cat", "dog"))).isTrue();
    ModelConfig written = ModelConfig.read(dir.resolve("m/config.json"));
    assertThat(written)
        .isEqualTo(
            ModelConfig.builder().name("m").versions(List.of(1L, 2L)).labels("labels.txt").build());
    assertThat(Files.readString(dir.resolve("m/labels.txt"))).isEqualTo("cat\ndog\n");
    assertThat(repo.configure("m", two, List.of("cat", "dog"))).isFalse();
    assertThat(repo.configure("m", ModelConfig.builder().versions(List.of(2L)).build(), List.of()))
        .isTrue();
    assertThat(repo.config("m").orElseThrow().versionPolicy())
        .isEqualTo(new ModelConfig.VersionPolicy.Specific(List.of(2L)));
  }

  @Test
  void aVerifiedLocalArtifactIsLinkedIntoPlaceOnce() throws Exception {
    ModelInstaller repo = new ModelInstaller(dir.resolve("repo"), Backends.builtIn());
    Path artifact = Files.writeString(dir.resolve("artifact"), "bytes");
    assertThat(repo.install("m", 3, "onnx", artifact)).isTrue();
    assertThat(repo.install("m", 3, "onnx", artifact)).isFalse();
    assertThat(Files.readString(dir.resolve("repo/m/3/model.onnx"))).isEqualTo("bytes");
    assertThat(repo.modelFile("m", 3, "ONNX")).isEqualTo(dir.resolve("repo/m/3/model.onnx"));
  }

  @Test
  void aFormatNoBackendServesIsRefusedNamingTheFormatsThereAre() {
    ModelInstaller repo = new ModelInstaller(dir, Backends.builtIn());
    assertThatThrownBy(() -> repo.modelFile("m", 1, "pytorch"))
        .hasMessageContaining("format pytorch cannot be served here (expected one of: onnx)");
  }

  @Test
  void retiredVersionsRemovedModelsAndCrashLeftoversGo() throws Exception {
    ModelInstaller repo = new ModelInstaller(dir, Backends.builtIn());
    for (long v : new long[] {1, 2}) {
      byte[] b = ("v" + v).getBytes(StandardCharsets.UTF_8);
      repo.install("m", v, "onnx", Sha256.hex(b), b.length, source(b, new AtomicInteger()));
    }
    repo.retainVersions("m", Set.of(2L));
    assertThat(everything()).containsExactly("m/2/model.onnx");
    Files.writeString(dir.resolve("m/.v3-123.tmp"), "half");
    Files.createDirectories(dir.resolve(".trash-x-1/1"));
    repo.sweep();
    assertThat(everything()).containsExactly("m/2/model.onnx");
    assertThat(repo.models()).containsExactly("m");
    repo.remove("m");
    assertThat(everything()).isEmpty();
    assertThat(repo.models()).isEmpty();
  }
}
