package dev.strata.runtime;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.strata.core.InferenceRequest;
import dev.strata.core.OutputRequest;
import dev.strata.core.Shape;
import dev.strata.core.Tensor;
import dev.strata.onnx.ExampleModels;
import dev.strata.onnx.OnnxModels;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/** Writes model repositories for tests and starts runtimes over them. */
final class TestRepo {
  final Path root;
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  TestRepo(Path root) {
    this.root = root;
  }

  TestRepo model(String name, long version, ModelProto model) {
    try {
      OnnxModels.write(
          model, root.resolve(name).resolve(Long.toString(version)).resolve("model.onnx"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return this;
  }

  /** The MLP {@code input[N,4] -> probabilities[N,3]}; the seed changes the weights. */
  TestRepo mlp(String name, long version, long seed) {
    return model(name, version, ExampleModels.mlp(4, 8, 3, seed));
  }

  TestRepo config(String name, String json) {
    return file(name, "config.json", json);
  }

  TestRepo file(String name, String file, String content) {
    try {
      Path p = root.resolve(name).resolve(file);
      Files.createDirectories(p.getParent());
      Files.writeString(p, content);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return this;
  }

  RuntimeConfig.Builder configBuilder() {
    return RuntimeConfig.builder(root)
        .meterRegistry(registry)
        .defaultIntraOpThreads(1)
        .drainTimeout(Duration.ofSeconds(10));
  }

  ModelManager start() {
    return start(UnaryOperator.identity());
  }

  ModelManager start(UnaryOperator<RuntimeConfig.Builder> customize) {
    ModelManager m = ModelManager.create(customize.apply(configBuilder()).build());
    m.startup().join();
    return m;
  }

  static Tensor rows(int rows, float offset) {
    float[] values = new float[rows * 4];
    for (int i = 0; i < values.length; i++) {
      values[i] = offset + 0.01f * i;
    }
    return Tensor.ofFloats(ExampleModels.INPUT, Shape.of(rows, 4), values);
  }

  static InferenceRequest request(String model, Tensor... inputs) {
    return InferenceRequest.of(model, List.of(inputs));
  }

  static InferenceRequest request(
      String model,
      Optional<String> version,
      String id,
      List<OutputRequest> outputs,
      Tensor... inputs) {
    return new InferenceRequest(
        model, version, id, List.of(inputs), outputs, Map.of(), Optional.empty());
  }
}
