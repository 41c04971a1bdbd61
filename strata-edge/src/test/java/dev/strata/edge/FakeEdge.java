package dev.strata.edge;

import dev.strata.core.DataType;
import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.ModelMetadata;
import dev.strata.core.ModelStatistics;
import dev.strata.core.OutputRequest;
import dev.strata.core.RepositoryEntry;
import dev.strata.core.ServerMetadata;
import dev.strata.core.Shape;
import dev.strata.core.Tensor;
import dev.strata.core.TensorSpec;
import dev.strata.runtime.InferenceService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An edge runtime for policy tests: answers every request with fixed rows of scores in output
 * {@code scores} (plus an {@code embedding} output), classifying as the runtime does when asked;
 * can hold requests to make the edge look busy.
 */
final class FakeEdge implements InferenceService {
  final String scoreOutput;
  volatile double[][] rows = {{0.7, 0.1, 0.1, 0.1}};
  volatile boolean hold;
  final List<CompletableFuture<InferenceResponse>> held = new CopyOnWriteArrayList<>();
  final List<InferenceRequest> requests = new CopyOnWriteArrayList<>();

  FakeEdge(String scoreOutput) {
    this.scoreOutput = scoreOutput;
  }

  @Override
  public CompletableFuture<InferenceResponse> infer(InferenceRequest request) {
    requests.add(request);
    InferenceResponse r = answer(request);
    if (hold) {
      CompletableFuture<InferenceResponse> f = new CompletableFuture<>();
      held.add(f);
      return f.thenApply(x -> r);
    }
    return CompletableFuture.completedFuture(r);
  }

  void release() {
    hold = false;
    held.forEach(f -> f.complete(null));
  }

  private InferenceResponse answer(InferenceRequest request) {
    double[][] now = rows;
    int classes = now[0].length;
    float[] flat = new float[now.length * classes];
    for (int r = 0; r < now.length; r++) {
      for (int c = 0; c < classes; c++) {
        flat[r * classes + c] = (float) now[r][c];
      }
    }
    Tensor scores = Tensor.ofFloats(scoreOutput, Shape.of(now.length, classes), flat);
    Tensor embedding = Tensor.ofFloats("embedding", Shape.of(now.length, 1), new float[now.length]);
    List<Tensor> out = new ArrayList<>();
    if (request.outputs().isEmpty()) {
      out.add(scores);
      out.add(embedding);
    }
    for (OutputRequest o : request.outputs()) {
      Tensor t = o.name().equals(scoreOutput) ? scores : embedding;
      out.add(o.classification() > 0 ? classify(t, now, o.classification()) : t);
    }
    return new InferenceResponse(request.model(), "1", request.id(), out, Map.of());
  }

  private static Tensor classify(Tensor t, double[][] rows, int k) {
    int top = Math.min(k, rows[0].length);
    List<String> strings = new ArrayList<>();
    for (double[] row : rows) {
      Integer[] order = new Integer[row.length];
      Arrays.setAll(order, i -> i);
      Arrays.sort(order, (a, b) -> Double.compare(row[b], row[a]));
      for (int j = 0; j < top; j++) {
        strings.add(String.format(Locale.ROOT, "%f:%d", (float) row[order[j]], order[j]));
      }
    }
    return Tensor.ofStrings(t.name(), Shape.of(rows.length, top), strings);
  }

  @Override
  public ModelMetadata modelMetadata(String model, Optional<String> version) {
    return new ModelMetadata(
        model,
        List.of("1"),
        "fake",
        // As a batching model's metadata shows it: the batch dimension first, as -1.
        List.of(new TensorSpec("input", DataType.FP32, Shape.of(-1, 2))),
        List.of(
            new TensorSpec(scoreOutput, DataType.FP32, Shape.of(-1, rows[0].length)),
            new TensorSpec("embedding", DataType.FP32, Shape.of(-1, 1))),
        Map.of("max_batch_size", 8));
  }

  @Override
  public ServerMetadata serverMetadata() {
    return new ServerMetadata("fake", "1", List.of());
  }

  @Override
  public boolean live() {
    return true;
  }

  @Override
  public boolean ready() {
    return true;
  }

  @Override
  public boolean modelReady(String model, Optional<String> version) {
    return true;
  }

  @Override
  public List<ModelStatistics> statistics(Optional<String> model, Optional<String> version) {
    return List.of();
  }

  @Override
  public List<RepositoryEntry> repositoryIndex(boolean readyOnly) {
    return List.of();
  }

  @Override
  public void load(String model) {}

  @Override
  public void unload(String model) {}

  @Override
  public void shutdown(Duration timeout) {}

  @Override
  public void close() {}
}
