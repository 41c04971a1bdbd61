package dev.strata.cli.demo;

import dev.strata.edge.calibrate.Datasets;
import dev.strata.edge.calibrate.LabelledSet;
import dev.strata.preprocess.ImageCodec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;

/**
 * The shipped Fashion-MNIST test images as PNG, split in two disjoint halves: one to calibrate the
 * cascade threshold on, one to measure on, so the reported accuracy is never that of the images the
 * threshold was chosen for.
 */
final class ShippedImages {
  /**
   * The two halves; each holds half of every class (the odd image of a class goes to evaluation).
   */
  record Split(List<LabelledImage> calibration, List<LabelledImage> evaluation) {
    Split {
      calibration = List.copyOf(calibration);
      evaluation = List.copyOf(evaluation);
    }
  }

  private ShippedImages() {}

  /** Reads the IDX test images and labels of {@code dir} and encodes each image as PNG. */
  static List<LabelledImage> load(Path dir) throws IOException {
    LabelledSet set =
        Datasets.idx(dir.resolve(Locations.TEST_IMAGES), dir.resolve(Locations.TEST_LABELS), 1);
    List<LabelledImage> out = new ArrayList<>(set.size());
    for (int i = 0; i < set.size(); i++) {
      out.add(new LabelledImage(i, ImageCodec.encodePng(set.images().get(i)), set.labels()[i]));
    }
    return out;
  }

  /**
   * A seeded, stratified split: each class's images are shuffled and halved. The evaluation half is
   * shuffled again, so its first N images are a mix of the classes.
   */
  static Split split(List<LabelledImage> images, long seed) {
    Random random = new Random(seed);
    TreeMap<Integer, List<LabelledImage>> byClass = new TreeMap<>();
    for (LabelledImage image : images) {
      byClass.computeIfAbsent(image.label(), k -> new ArrayList<>()).add(image);
    }
    List<LabelledImage> calibration = new ArrayList<>();
    List<LabelledImage> evaluation = new ArrayList<>();
    for (List<LabelledImage> members : byClass.values()) {
      Collections.shuffle(members, random);
      int half = members.size() / 2;
      calibration.addAll(members.subList(0, half));
      evaluation.addAll(members.subList(half, members.size()));
    }
    Collections.shuffle(calibration, random);
    Collections.shuffle(evaluation, random);
    return new Split(calibration, evaluation);
  }
}
