package dev.strata.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocationsTest {
  @TempDir Path dir;

  @Test
  void findsTheRootFromBelowIt() throws Exception {
    Path root = dir.resolve("strata");
    Files.createDirectories(root.resolve("models/fashion-cnn"));
    Files.writeString(root.resolve("models/fashion-cnn/model.onnx"), "x");
    Path deep = Files.createDirectories(root.resolve("strata-cli/target/strata/lib"));
    assertThat(Locations.findRoot(List.of(dir.resolve("elsewhere"), deep))).contains(root);
    assertThat(Locations.findRoot(List.of(dir))).isEmpty();
  }

  @Test
  void theRepositoryHoldsWhatTheDemoNeeds() {
    List<Path> here = List.of(Path.of("").toAbsolutePath());
    Path models = Locations.models(Optional.empty(), here);
    assertThat(models.resolve(Locations.EDGE_MODEL_FILE)).isRegularFile();
    assertThat(Locations.dataSet(Optional.empty(), here).resolve(Locations.TEST_IMAGES))
        .isRegularFile();
  }

  @Test
  void whatIsMissingIsNamed() {
    assertThatThrownBy(() -> Locations.models(Optional.empty(), List.of(dir)))
        .hasMessageContaining("cannot find the reference models")
        .hasMessageContaining("--models DIR");
    assertThatThrownBy(() -> Locations.dataSet(Optional.of(dir), List.of()))
        .hasMessage(
            "--data: "
                + dir
                + " has no t10k-images-idx3-ubyte.gz (expected: data/fashion-mnist-subset)");
  }
}
