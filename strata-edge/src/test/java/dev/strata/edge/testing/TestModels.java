package dev.strata.edge.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.Shape;
import dev.strata.core.Tensor;
import dev.strata.edge.CollaborativeInferenceService;
import dev.strata.edge.EdgeConfig;
import dev.strata.onnx.ExampleModels;
import dev.strata.serving.ServingConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;

/**
 * Small models (built in code, a few kilobytes, loaded in milliseconds), requests and agent
 * settings that the edge's tests and the end-to-end tests share.
 */
public final class TestModels {
  /** The features of the edge tests' MLP. */
  public static final int IN = 8;

  /** The classes of the edge tests' MLP. */
  public static final int CLASSES = 4;

  private TestModels() {}

  /** An MLP {@code input[N, 8] -> probabilities[N, 4]}; seeds give different models. */
  public static byte[] mlp(long seed) {
    return mlp(IN, CLASSES, seed);
  }

  /**
   * An MLP {@code input[N, features] -> probabilities[N, classes]}; each seed gives other weights,
   * so versions answer differently.
   */
  public static byte[] mlp(int features, int classes, long seed) {
    return ExampleModels.mlp(features, 16, classes, seed).toByteArray();
  }

  /** One row of {@link #IN} features drawn from {@code seed}. */
  public static InferenceRequest request(String model, long seed) {
    return request(model, IN, seed);
  }

  /** One row of {@code features} features drawn from {@code seed}. */
  public static InferenceRequest request(String model, int features, long seed) {
    Random r = new Random(seed);
    float[] x = new float[features];
    for (int i = 0; i < features; i++) {
      x[i] = (float) r.nextGaussian();
    }
    return InferenceRequest.of(
        model, List.of(Tensor.ofFloats(ExampleModels.INPUT, Shape.of(1, features), x)));
  }

  /** Who answered: {@code edge}, {@code cloud} or {@code edge-fallback}. */
  public static String servedBy(InferenceResponse r) {
    Object by = r.parameters().get(CollaborativeInferenceService.SERVED_BY);
    assertThat(by).as("served_by of %s", r).isInstanceOf(String.class);
    return (String) by;
  }

  /** Fast timings for an agent on loopback. */
  public static EdgeConfig.Builder agent(URI cloud, Path dataDir) {
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
