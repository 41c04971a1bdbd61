package dev.strata.cli.demo;

import static java.util.Objects.requireNonNull;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where the demo finds what the repository (or an installation) ships: the reference models under
 * {@code models/} and the Fashion-MNIST subset under {@code data/fashion-mnist-subset}. It looks in
 * the working directory and its parents, then beside the running jar and its parents, so {@code
 * ./strata demo} works from the repository root, from a module directory and from an unpacked
 * distribution.
 */
final class Locations {
  static final String CLOUD_MODEL_FILE = "fashion-cnn/model.onnx";
  static final String EDGE_MODEL_FILE = "fashion-edge/model.onnx";
  static final String TEST_IMAGES = "t10k-images-idx3-ubyte.gz";
  static final String TEST_LABELS = "t10k-labels-idx1-ubyte.gz";

  private Locations() {}

  /** The first of {@code starts} or their parents holding {@code models/fashion-cnn/model.onnx}. */
  static Optional<Path> findRoot(List<Path> starts) {
    for (Path start : starts) {
      for (Path p = start.toAbsolutePath().normalize(); p != null; p = p.getParent()) {
        if (Files.isRegularFile(p.resolve("models").resolve(CLOUD_MODEL_FILE))) {
          return Optional.of(p);
        }
      }
    }
    return Optional.empty();
  }

  /** The working directory, then the directory of the jar (or classes) this class came from. */
  static List<Path> defaultStarts() {
    List<Path> starts = new ArrayList<>();
    starts.add(Path.of("").toAbsolutePath());
    CodeSource source = Locations.class.getProtectionDomain().getCodeSource();
    if (source != null && source.getLocation() != null) {
      try {
        starts.add(Path.of(source.getLocation().toURI()));
      } catch (URISyntaxException | IllegalArgumentException ignored) {
        // not a file location: the working directory is all there is
      }
    }
    return starts;
  }

  /** The models directory: given, else {@code <root>/models}; checked to hold both models. */
  static Path models(Optional<Path> given, List<Path> starts) {
    Path dir =
        given.orElseGet(
            () ->
                findRoot(starts)
                    .map(r -> r.resolve("models"))
                    .orElseThrow(
                        () ->
                            new IllegalArgumentException(
                                "cannot find the reference models (models/"
                                    + CLOUD_MODEL_FILE
                                    + ") from "
                                    + Path.of("").toAbsolutePath()
                                    + ": run from the repository root or pass --models DIR")));
    for (String file : List.of(CLOUD_MODEL_FILE, EDGE_MODEL_FILE)) {
      if (!Files.isRegularFile(dir.resolve(file))) {
        throw new IllegalArgumentException(
            "--models: " + dir + " has no " + file + " (expected: the repository's models/)");
      }
    }
    return dir;
  }

  /** The data set directory: given, else {@code <root>/data/fashion-mnist-subset}; checked. */
  static Path dataSet(Optional<Path> given, List<Path> starts) {
    requireNonNull(given, "given");
    Path dir =
        given.orElseGet(
            () ->
                findRoot(starts)
                    .map(r -> r.resolve("data").resolve("fashion-mnist-subset"))
                    .orElseThrow(
                        () ->
                            new IllegalArgumentException(
                                "cannot find the shipped data (data/fashion-mnist-subset) from "
                                    + Path.of("").toAbsolutePath()
                                    + ": run from the repository root or pass --data DIR")));
    for (String file : List.of(TEST_IMAGES, TEST_LABELS)) {
      if (!Files.isRegularFile(dir.resolve(file))) {
        throw new IllegalArgumentException(
            "--data: " + dir + " has no " + file + " (expected: data/fashion-mnist-subset)");
      }
    }
    return dir;
  }
}
