package dev.strata.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.edge.calibrate.Datasets;
import dev.strata.edge.calibrate.LabelledSet;
import dev.strata.preprocess.ImageCodec;
import dev.strata.preprocess.RawImage;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ShippedImagesTest {
  static Path data;
  static List<LabelledImage> images;

  @BeforeAll
  static void load() throws Exception {
    data = DemoCommandIT.root().resolve("data/fashion-mnist-subset");
    images = ShippedImages.load(data);
  }

  @Test
  void everyTestImageIsALosslessPngWithItsLabel() throws Exception {
    LabelledSet raw =
        Datasets.idx(data.resolve(Locations.TEST_IMAGES), data.resolve(Locations.TEST_LABELS), 1);
    assertThat(images).hasSize(1000);
    for (int i : new int[] {0, 1, 500, 999}) {
      RawImage decoded = ImageCodec.decode(images.get(i).png(), "image " + i);
      assertThat(decoded.height()).isEqualTo(28);
      assertThat(decoded.channels()).isEqualTo(1);
      for (int p = 0; p < 28 * 28; p++) {
        assertThat(decoded.pixels()[p] & 0xff).isEqualTo((int) raw.examples().get(i)[p]);
      }
      assertThat(images.get(i).label()).isEqualTo(raw.labels()[i]);
      assertThat(images.get(i).index()).isEqualTo(i);
    }
  }

  @Test
  void theSplitIsStratifiedDisjointAndSeeded() {
    ShippedImages.Split split = ShippedImages.split(images, 1);
    assertThat(split.calibration()).hasSize(500);
    assertThat(split.evaluation()).hasSize(500);
    Set<Integer> calibration = new HashSet<>();
    split.calibration().forEach(i -> calibration.add(i.index()));
    assertThat(split.evaluation()).noneMatch(i -> calibration.contains(i.index()));
    assertThat(perClass(split.calibration()))
        .hasSize(10)
        .allSatisfy((k, n) -> assertThat(n).isEqualTo(50));
    assertThat(perClass(split.evaluation()))
        .hasSize(10)
        .allSatisfy((k, n) -> assertThat(n).isEqualTo(50));
    // the measured images come mixed: the first 60 hold most classes
    assertThat(perClass(split.evaluation().subList(0, 60))).hasSizeGreaterThanOrEqualTo(8);

    ShippedImages.Split again = ShippedImages.split(images, 1);
    assertThat(again.evaluation())
        .extracting(LabelledImage::index)
        .containsExactlyElementsOf(split.evaluation().stream().map(LabelledImage::index).toList());
    assertThat(ShippedImages.split(images, 2).evaluation())
        .extracting(LabelledImage::index)
        .isNotEqualTo(split.evaluation().stream().map(LabelledImage::index).toList());
  }

  private static Map<Integer, Long> perClass(List<LabelledImage> images) {
    return images.stream()
        .collect(Collectors.groupingBy(LabelledImage::label, Collectors.counting()));
  }
}
