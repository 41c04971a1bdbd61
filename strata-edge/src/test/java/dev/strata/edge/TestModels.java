package dev.strata.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.Shape;
import dev.strata.core.Tensor;
import dev.strata.onnx.ExampleModels;
import dev.strata.serving.ServingConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;

/** Small models and settings the edge tests share. */
final class TestModels {
  static final int IN = 8;
  static final int CLASSES = 4;

  private TestModels() {}

  /** An MLP {@code input[N, 8] -> probabilities[N, 4]}; seeds give different models. */
  static byte[] mlp(long seed) {
    return ExampleModels.mlp(IN, 16, CLASSES, seed).toByteArray();
  }

  static InferenceRequest request(String model, long seed) {
    Random r = new Random(seed);
    float[] x = new float[IN];
    for (int i = 0; i < IN; i++) {
      x[i] = (float) r.nextGaussian();
    }
    return InferenceRequest.of(
        model, List.of(Tensor.ofFloats(ExampleModels.INPUT, Shape.of(1, IN), x)));
  }

  static String servedBy(InferenceResponse r) {
    Object by = r.parameters().get(CollaborativeInferenceService.SERVED_BY);
    assertThat(by).as("served_by of %s", r).isInstanceOf(String.class);
    return (String) by;
  }

  /** Fast timings for an agent on loopback. */
  static EdgeConfig.Builder agent(URI cloud, Path dataDir) {
    return EdgeConfig.builder(cloud)
        .dataDir(dataDir)
        .nodeName("edge-1")
        .serving(
            ServingConfig.ephemeral()
                .withPorts(0, -1)
                .withDrainTimeout(Duration.ofSeconds(2))
                .withIoThreads(2))
        .pollInterval(Duration.ofMillis(100))
        .backoff(Duration.ofMillis(50), Duration.ofMillis(250))
        .telemetryInterval(Duration.ofMillis(200))
        .cloudTimeout(Duration.ofSeconds(2))
        .connectTimeout(Duration.ofSeconds(1))
        .requestTimeout(Duration.ofSeconds(5));
  }
}
