package dev.strata.edge.calibrate;

import dev.strata.core.DataType;
import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.ModelMetadata;
import dev.strata.core.OutputRequest;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.core.Tensor;
import dev.strata.core.TensorSpec;
import dev.strata.edge.ScoreSpec;
import dev.strata.preprocess.ImageCodec;
import dev.strata.protocol.client.ClientConfig;
import dev.strata.protocol.client.StrataClient;
import dev.strata.runtime.ModelManager;
import dev.strata.runtime.RuntimeConfig;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * A classifier run over a labelled set, giving each example's class probabilities exactly as the
 * edge reads them ({@link ScoreSpec}): an ONNX file run in process by the runtime, or a model
 * served by an Open Inference Protocol server.
 */
final class ModelScorer implements AutoCloseable {
  private final String name;
  private final ModelMetadata metadata;
  private final Function<InferenceRequest, InferenceResponse> infer;
  private final Runnable closer;

  private ModelScorer(
      String name,
      ModelMetadata metadata,
      Function<InferenceRequest, InferenceResponse> infer,
      Runnable closer) {
    this.name = name;
    this.metadata = metadata;
    this.infer = infer;
    this.closer = closer;
  }

  /**
   * A model given as {@code http://host:port/v2/models/NAME} (or {@code http://host:port/NAME}) or
   * as the path of an ONNX file, which runs in process from a copy under {@code workDir}.
   */
  static ModelScorer open(String model, Path workDir) throws IOException {
    if (model.startsWith("http://") || model.startsWith("https://")) {
      return remote(URI.create(model));
    }
    return local(Path.of(model), workDir);
  }

  static ModelScorer local(Path onnx, Path workDir) throws IOException {
    if (!Files.isRegularFile(onnx)) {
      throw StrataException.invalid(
          "model: %s is not a file (expected: an ONNX file or a URL)", onnx);
    }
    String name = "model";
    Path repo = Files.createTempDirectory(workDir, "calibrate-");
    Files.copy(
        onnx, Files.createDirectories(repo.resolve(name).resolve("1")).resolve("model.onnx"));
    ModelManager runtime =
        ModelManager.create(
            RuntimeConfig.builder(repo).drainTimeout(Duration.ofSeconds(5)).build());
    try {
      runtime.startup().join();
      ModelMetadata md = runtime.modelMetadata(name, Optional.empty());
      return new ModelScorer(
          onnx.getFileName().toString(), md, r -> runtime.infer(r).join(), runtime::close);
    } catch (RuntimeException e) {
      runtime.close();
      throw e;
    }
  }

  static ModelScorer remote(URI url) {
    String path = url.getPath() == null ? "" : url.getPath();
    String name = path.startsWith("/v2/models/") ? path.substring("/v2/models/".length()) : path;
    name = name.replaceAll("^/+|/+$", "");
    if (name.isEmpty() || name.contains("/")) {
      throw StrataException.invalid(
          "model URL: %s (expected: http://host:port/v2/models/NAME)", url);
    }
    int port = url.getPort() > 0 ? url.getPort() : 80;
    StrataClient client =
        StrataClient.rest(ClientConfig.of(url.getHost(), port).withTimeout(Duration.ofMinutes(2)));
    try {
      ModelMetadata md = client.modelMetadata(name, Optional.empty());
      String model = name;
      return new ModelScorer(
          model,
          md,
          r ->
              client.infer(
                  new InferenceRequest(
                      model,
                      r.version(),
                      r.id(),
                      r.inputs(),
                      r.outputs(),
                      r.parameters(),
                      r.timeout())),
          client::close);
    } catch (RuntimeException e) {
      client.close();
      throw e;
    }
  }

  String name() {
    return name;
  }

  /** Each example's class probabilities, in order. */
  List<double[]> probabilities(LabelledSet set, int batchSize) {
    if (metadata.inputs().size() != 1) {
      throw StrataException.invalid(
          "model %s has %d inputs (expected: one, to feed the examples to)",
          name, metadata.inputs().size());
    }
    TensorSpec input = metadata.inputs().getFirst();
    // A model exported with its preprocessing takes the images themselves: its pipeline, the one
    // it was trained with, makes the input, exactly as when it serves.
    boolean raw = "image".equals(metadata.parameters().get("raw_input")) && !set.images().isEmpty();
    if (input.datatype() != DataType.FP32) {
      throw StrataException.invalid(
          "model %s input %s is %s (expected: FP32)", name, input.name(), input.datatype());
    }
    ScoreSpec spec =
        ScoreSpec.of(metadata)
            .orElseThrow(
                () ->
                    StrataException.invalid(
                        "model %s has no floating-point output to score", name));
    int maxBatch =
        metadata.parameters().get("max_batch_size") instanceof Number n ? n.intValue() : 0;
    // A batching model's metadata shows its batch dimension first, as -1: one example is the rest.
    Shape example =
        maxBatch > 0 && input.shape().rank() > 0 ? input.shape().dropFirst() : input.shape();
    long[] dims = raw ? new long[0] : dims(example, set.examples().getFirst().length);
    int step = maxBatch > 0 ? Math.max(1, Math.min(batchSize, maxBatch)) : 1;
    List<double[]> out = new ArrayList<>(set.size());
    for (int from = 0; from < set.size(); from += step) {
      int count = Math.min(step, set.size() - from);
      if (raw) {
        List<byte[]> pngs = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
          pngs.add(ImageCodec.encodePng(set.images().get(from + i)));
        }
        score(spec, Tensor.ofBytes(input.name(), Shape.of(count), pngs), out);
        continue;
      }
      int per = (int) product(dims);
      float[] flat = new float[count * per];
      for (int i = 0; i < count; i++) {
        float[] e = set.examples().get(from + i);
        if (e.length != per) {
          throw StrataException.invalid(
              "example %d has %d values (expected: %d for input %s %s)",
              from + i, e.length, per, input.name(), input.shape());
        }
        System.arraycopy(e, 0, flat, i * per, per);
      }
      Shape shape = maxBatch > 0 ? Shape.of(prepend(count, dims)) : Shape.of(dims);
      score(spec, Tensor.ofFloats(input.name(), shape, flat), out);
    }
    if (out.size() != set.size()) {
      throw StrataException.invalid(
          "model %s gave %d rows for %d examples", name, out.size(), set.size());
    }
    return out;
  }

  /** Runs one batch and adds each row's class distribution to {@code out}. */
  private void score(ScoreSpec spec, Tensor batch, List<double[]> out) {
    InferenceRequest r =
        new InferenceRequest(
            "model",
            Optional.empty(),
            "",
            List.of(batch),
            List.of(OutputRequest.of(spec.output())),
            Map.of(),
            Optional.empty());
    Tensor t =
        infer
            .apply(r)
            .output(spec.output())
            .orElseThrow(
                () -> StrataException.invalid("model %s answered without %s", name, spec.output()));
    for (double[] row : spec.rows(t)) {
      out.add(spec.distribution(row));
    }
  }

  /** The input's dimensions with a dynamic one worked out from the example's length. */
  private long[] dims(Shape shape, int values) {
    long[] dims = shape.toArray();
    int dynamic = -1;
    long known = 1;
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] < 0) {
        if (dynamic >= 0) {
          throw StrataException.invalid(
              "model %s input shape %s has more than one dynamic dimension", name, shape);
        }
        dynamic = i;
      } else {
        known *= dims[i];
      }
    }
    if (dynamic >= 0) {
      dims[dynamic] = values / Math.max(1, known);
    }
    return dims;
  }

  private static long product(long[] dims) {
    long p = 1;
    for (long d : dims) {
      p *= d;
    }
    return p;
  }

  private static long[] prepend(long first, long[] rest) {
    long[] out = new long[rest.length + 1];
    out[0] = first;
    System.arraycopy(rest, 0, out, 1, rest.length);
    return out;
  }

  @Override
  public void close() {
    closer.run();
  }
}
