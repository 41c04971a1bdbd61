package dev.strata.train;

import dev.strata.train.data.DataSources;
import dev.strata.train.data.Dataset;
import dev.strata.train.engine.TrainConfig;
import dev.strata.train.spec.TrainingSpec;
import java.io.IOException;
import java.nio.file.Path;

/** Shared test settings: one engine configuration per test JVM, the shipped data subset. */
public final class TestSupport {
  /** DJL's engine is process-wide, so every test uses this one configuration. */
  public static final TrainConfig CONFIG =
      new TrainConfig(Path.of("target", "strata-home").toAbsolutePath(), 2, 1);

  /** The shipped Fashion-MNIST subset (2,000 training and 1,000 test images). */
  public static final Path SUBSET = Path.of("..", "data", "fashion-mnist-subset").toAbsolutePath();

  private TestSupport() {}

  public static TrainingSpec spec(String yaml) {
    return TrainingSpec.parse(yaml, true, "test spec");
  }

  /** The first {@code n} training images of the subset (stratified order is not needed here). */
  public static Dataset.Images subsetTrain(int n) throws IOException {
    Dataset.Images all = DataSources.readIdx(SUBSET, "train");
    int[] idx = new int[n];
    for (int i = 0; i < n; i++) {
      idx[i] = i;
    }
    return all.subset(idx);
  }

  /** A YAML spec for the subset with the given layers and training lines. */
  public static String imageSpec(String layers, String training) {
    return """
        format_version: 1
        name: test-model
        preprocessing:
          input: {kind: image, channels: 1, height: 28, width: 28}
          steps:
            - {op: normalize}
            - {op: split, validation: 0.1, test: 0, seed: 1, stratified: true}
        model:
          layers:
        %s
        training:
        %s
        """
        .formatted(indent(layers, 4), indent(training, 2));
  }

  private static String indent(String s, int n) {
    return s.strip().lines().map(l -> " ".repeat(n) + l).reduce((a, b) -> a + "\n" + b).orElse("");
  }
}
