package dev.strata.bench.serving;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.strata.core.AtomicFiles;
import dev.strata.core.InferenceRequest;
import dev.strata.core.Shape;
import dev.strata.core.Tensor;
import dev.strata.onnx.ExampleModels;
import dev.strata.onnx.OnnxModels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The two benchmark models, built in code: {@code small} (the small CNN, 784 floats in, tens of
 * microseconds per image) and {@code resnet} (ResNet-18-style at 112x112, compute-bound). Each
 * repository entry runs one instance with one intra-op thread, like the in-process baseline.
 */
@Command(
    name = "bench-models",
    mixinStandardHelpOptions = true,
    description = "Write the benchmark model repository.")
public final class BenchModels implements Callable<Integer> {
  @Option(names = "--out", required = true, description = "The repository directory to write.")
  Path out;

  @Option(
      names = "--models",
      split = ",",
      defaultValue = "small,resnet",
      description = "Which models (default: ${DEFAULT-VALUE}).")
  String[] models;

  public static void main(String[] args) {
    System.exit(new CommandLine(new BenchModels()).execute(args));
  }

  @Override
  public Integer call() throws IOException {
    for (String m : models) {
      write(out, m);
    }
    return 0;
  }

  static ModelProto model(String name) {
    return switch (name) {
      case "small" -> ExampleModels.smallCnn(1);
      case "resnet" -> ExampleModels.resnet18(112, 1000, 1);
      default ->
          throw new IllegalArgumentException("model: " + name + " (expected: small or resnet)");
    };
  }

  static int maxBatch(String name) {
    return name.equals("resnet") ? 8 : 64;
  }

  static void write(Path repo, String name) throws IOException {
    OnnxModels.write(model(name), repo.resolve(name).resolve("1").resolve("model.onnx"));
    String config =
        "{\"max_batch_size\": "
            + maxBatch(name)
            + ", \"dynamic_batching\": {\"max_queue_delay_us\": 0, \"max_queue_size\": 8192},"
            + " \"instances\": {\"count\": 1, \"intra_op_threads\": 1}}\n";
    AtomicFiles.write(
        repo.resolve(name).resolve("config.json"), config.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The request every load generator sends (LoadGenerator, wrk, h2load): one image of the model,
   * the same pixels each time.
   */
  static InferenceRequest request(String name) {
    return InferenceRequest.of(name, List.of(input(name, 7)));
  }

  /** One request's input: a single image of the model, seeded random pixels. */
  static Tensor input(String name, long seed) {
    Shape shape = name.equals("resnet") ? Shape.of(1, 3, 112, 112) : Shape.of(1, 1, 28, 28);
    float[] pixels = new float[(int) shape.numElements()];
    Random rnd = new Random(seed);
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = rnd.nextFloat();
    }
    return Tensor.ofFloats(ExampleModels.INPUT, shape, pixels);
  }
}
