package dev.strata.cli.demo;

import dev.strata.core.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;

/** One held-out image of each class as a PNG file, for trying the endpoints by hand. */
final class Samples {
  private Samples() {}

  /** Writes {@code <dir>/<class>.png} (e.g. {@code ankle-boot.png}) for each class seen. */
  static void write(Path dir, List<LabelledImage> images, List<String> labels) throws IOException {
    TreeMap<Integer, LabelledImage> first = new TreeMap<>();
    for (LabelledImage image : images) {
      first.putIfAbsent(image.label(), image);
    }
    for (LabelledImage image : first.values()) {
      AtomicFiles.write(dir.resolve(fileName(image.label(), labels)), image.png());
    }
  }

  /** {@code T-shirt/top} -> {@code t-shirt-top.png}; {@code class-3.png} without labels. */
  static String fileName(int label, List<String> labels) {
    String name = label < labels.size() ? labels.get(label) : "class-" + label;
    String safe =
        name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-+|-+$", "");
    return (safe.isEmpty() ? "class-" + label : safe) + ".png";
  }
}
