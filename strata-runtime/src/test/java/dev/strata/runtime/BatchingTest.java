package dev.strata.runtime;

import static dev.strata.runtime.Failures.failure;
import static dev.strata.runtime.TestRepo.request;
import static dev.strata.runtime.TestRepo.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.strata.core.DataType;
import dev.strata.core.ErrorCode;
import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.ModelStatistics;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.core.Tensor;
import dev.strata.onnx.OnnxGraphBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dynamic batcher, seen through the runtime: merging, splitting, delays, limits. */
class BatchingTest {
  private static final String LONG_DELAY = "\"max_queue_delay_us\": 30000000";

  @TempDir Path dir;

  private ModelManager start(String config) {
    return new TestRepo(dir).mlp("mlp", 1, 3).config("mlp", config).start();
  }

  @Test
  void concurrentRequestsShareExecutionsAndEachGetsItsOwnRows() throws Exception {
    try (ModelManager runtime =
        start("{\"max_batch_size\": 8, \"dynamic_batching\": {" + LONG_DELAY + "}}")) {
      int[] sizes = {1, 2, 1, 3, 1}; // 8 rows: the batch fills and runs at once
      List<Tensor> inputs = new ArrayList<>();
      List<CompletableFuture<InferenceResponse>> futures = new ArrayList<>();
      CountDownLatch go = new CountDownLatch(1);
      ExecutorService clients = Executors.newFixedThreadPool(sizes.length);
      try {
        for (int i = 0; i < sizes.length; i++) {
          Tensor input = rows(sizes[i], i);
          inputs.add(input);
          CompletableFuture<InferenceResponse> f = new CompletableFuture<>();
          futures.add(f);
          clients.execute(
              () -> {
                try {
                  go.await();
                  runtime.infer(request("mlp", input)).whenComplete(BatchingTest.relay(f));
                } catch (InterruptedException e) {
                  f.completeExceptionally(e);
                }
              });
        }
        go.countDown();
        for (CompletableFuture<InferenceResponse> f : futures) {
          f.get();
        }
      } finally {
        clients.shutdown();
      }
      ModelStatistics stats = runtime.statistics(Optional.of("mlp"), Optional.empty()).getFirst();
      assertThat(stats.inferenceCount()).isEqualTo(8);
      assertThat(stats.executionCount()).isEqualTo(1);
      assertThat(stats.batchStats())
          .singleElement()
          .satisfies(b -> assertThat(b.batchSize()).isEqualTo(8));
      assertThat(stats.inferenceStats().success().count()).isEqualTo(sizes.length);
      assertThat(stats.inferenceStats().computeInfer().count()).isEqualTo(sizes.length);

      for (int i = 0; i < sizes.length; i++) {
        assertThat(futures.get(i).get().outputs().getFirst().shape())
            .isEqualTo(Shape.of(sizes[i], 3));
      }
    }
  }

  @Test
  void splitOutputsMatchRunningEachRequestAlone() throws Exception {
    int[] sizes = {2, 1, 3, 2};
    List<float[]> aloneResults = new ArrayList<>();
    try (ModelManager alone = start("{\"max_batch_size\": 8}")) {
      for (int i = 0; i < sizes.length; i++) {
        aloneResults.add(
            alone.infer(request("mlp", rows(sizes[i], i))).get().outputs().getFirst().floats());
      }
    }
    try (ModelManager runtime =
        start("{\"max_batch_size\": 8, \"dynamic_batching\": {" + LONG_DELAY + "}}")) {
      List<CompletableFuture<InferenceResponse>> futures = new ArrayList<>();
      for (int i = 0; i < sizes.length; i++) {
        futures.add(runtime.infer(request("mlp", rows(sizes[i], i))));
      }
      for (int i = 0; i < sizes.length; i++) {
        assertThat(futures.get(i).get().outputs().getFirst().floats())
            .as("request %d", i)
            .containsExactly(aloneResults.get(i), within(1e-6f));
      }
      assertThat(
              runtime.statistics(Optional.of("mlp"), Optional.empty()).getFirst().executionCount())
          .isEqualTo(1);
    }
  }

  @Test
  void aLoneRequestWaitsAtMostTheQueueDelay() throws Exception {
    try (ModelManager runtime =
        start("{\"max_batch_size\": 8, \"dynamic_batching\": {\"max_queue_delay_us\": 300000}}")) {
      long start = System.nanoTime();
      runtime.infer(request("mlp", rows(1, 0))).get();
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      assertThat(took).isBetween(Duration.ofMillis(290), Duration.ofSeconds(10));
      ModelStatistics stats = runtime.statistics(Optional.of("mlp"), Optional.empty()).getFirst();
      assertThat(stats.inferenceStats().queue().ns()).isGreaterThanOrEqualTo(290_000_000L);
    }
  }

  @Test
  void aPreferredBatchSizeRunsWithoutWaitingForTheDelay() throws Exception {
    try (ModelManager runtime =
        start(
            "{\"max_batch_size\": 8, \"dynamic_batching\": {"
                + LONG_DELAY
                + ", \"preferred_batch_sizes\": [2]}}")) {
      CompletableFuture<InferenceResponse> a = runtime.infer(request("mlp", rows(1, 0)));
      CompletableFuture<InferenceResponse> b = runtime.infer(request("mlp", rows(1, 1)));
      CompletableFuture.allOf(a, b).get(); // would take 30 s without the preferred size
      ModelStatistics stats = runtime.statistics(Optional.of("mlp"), Optional.empty()).getFirst();
      assertThat(stats.batchStats())
          .singleElement()
          .satisfies(s -> assertThat(s.batchSize()).isEqualTo(2));
    }
  }

  @Test
  void aFullQueueTurnsRequestsAwayAtOnceAndShutdownDrainsTheQueued() throws Exception {
    ModelManager runtime =
        start(
            "{\"max_batch_size\": 8, \"dynamic_batching\": {"
                + LONG_DELAY
                + ", \"max_queue_size\": 2}}");
    CompletableFuture<InferenceResponse> a = runtime.infer(request("mlp", rows(1, 0)));
    CompletableFuture<InferenceResponse> b = runtime.infer(request("mlp", rows(1, 1)));
    CompletableFuture<InferenceResponse> c = runtime.infer(request("mlp", rows(1, 2)));

    assertThat(c).isCompletedExceptionally();
    StrataException e = failure(c);
    assertThat(e.code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
    assertThat(e.getMessage()).contains("queue is full");
    assertThat(a).isNotDone();

    runtime.shutdown(Duration.ofSeconds(10)); // the queued requests run instead of waiting 30 s
    assertThat(a.get().outputs().getFirst().shape()).isEqualTo(Shape.of(1, 3));
    assertThat(b.get().outputs().getFirst().shape()).isEqualTo(Shape.of(1, 3));
    assertThat(runtime.live()).isFalse();
    assertThat(runtime.ready()).isFalse();
    assertThat(failure(runtime.infer(request("mlp", rows(1, 0)))).code())
        .isEqualTo(ErrorCode.UNAVAILABLE);
  }

  @Test
  void timedOutRequestsLeaveTheQueueWithoutRunning() {
    try (ModelManager runtime =
        start(
            "{\"max_batch_size\": 8, \"dynamic_batching\": {"
                + LONG_DELAY
                + ", \"default_timeout_us\": 100000}}")) {
      InferenceRequest own =
          new InferenceRequest(
              "mlp",
              Optional.empty(),
              "t",
              List.of(rows(1, 0)),
              List.of(),
              Map.of(),
              Optional.of(Duration.ofMillis(50)));
      StrataException e = failure(runtime.infer(own));
      assertThat(e.code()).isEqualTo(ErrorCode.DEADLINE_EXCEEDED);
      assertThat(e.getMessage())
          .contains("timed out after 50000 us (still queued; it did not run)");

      StrataException byDefault = failure(runtime.infer(request("mlp", rows(1, 0))));
      assertThat(byDefault.code()).isEqualTo(ErrorCode.DEADLINE_EXCEEDED);
      assertThat(byDefault.getMessage()).contains("after 100000 us");

      ModelStatistics stats = runtime.statistics(Optional.of("mlp"), Optional.empty()).getFirst();
      assertThat(stats.executionCount()).isZero();
      assertThat(stats.inferenceStats().fail().count()).isEqualTo(2);
      assertThat(runtime.servingVersions("mlp").getFirst().queue.size()).isZero();
    }
  }

  @Test
  void aCancelledRequestNeverRuns() throws Exception {
    try (ModelManager runtime =
        start("{\"max_batch_size\": 8, \"dynamic_batching\": {\"max_queue_delay_us\": 300000}}")) {
      CompletableFuture<InferenceResponse> cancelled = runtime.infer(request("mlp", rows(3, 0)));
      assertThat(cancelled.cancel(false)).isTrue();
      InferenceResponse kept = runtime.infer(request("mlp", rows(1, 0))).get();

      assertThat(kept.outputs().getFirst().shape()).isEqualTo(Shape.of(1, 3));
      ModelStatistics stats = runtime.statistics(Optional.of("mlp"), Optional.empty()).getFirst();
      assertThat(stats.inferenceCount()).isEqualTo(1); // the 3 cancelled rows never ran
      assertThat(stats.inferenceStats().fail().count()).isEqualTo(1);
      assertThat(cancelled).isCancelled();
    }
  }

  @Test
  void requestsOfDifferentShapesAreNotMerged() throws Exception {
    OnnxGraphBuilder g = OnnxGraphBuilder.create("any");
    String in = g.input("x", DataType.FP32, Shape.of(-1, -1));
    g.output(g.node("Identity", List.of(in), Map.of(), "y"), DataType.FP32, Shape.of(-1, -1));
    TestRepo repo =
        new TestRepo(dir)
            .model("any", 1, g.build())
            .config(
                "any",
                "{\"max_batch_size\": 4, \"dynamic_batching\": {\"max_queue_delay_us\": 200000}}");
    try (ModelManager runtime = repo.start()) {
      CompletableFuture<InferenceResponse> a =
          runtime.infer(request("any", Tensor.ofFloats("x", Shape.of(1, 2), 1, 2)));
      CompletableFuture<InferenceResponse> b =
          runtime.infer(request("any", Tensor.ofFloats("x", Shape.of(1, 3), 3, 4, 5)));
      assertThat(a.get().outputs().getFirst().floats()).containsExactly(1, 2);
      assertThat(b.get().outputs().getFirst().floats()).containsExactly(3, 4, 5);
      ModelStatistics stats = runtime.statistics(Optional.of("any"), Optional.empty()).getFirst();
      assertThat(stats.executionCount()).isEqualTo(2);
    }
  }

  @Test
  void severalInstancesServeOneQueue() throws Exception {
    try (ModelManager runtime =
        start("{\"max_batch_size\": 4, \"instances\": {\"count\": 2, \"intra_op_threads\": 1}}")) {
      assertThat(runtime.servingVersions("mlp").getFirst().instances()).hasSize(2);
      List<CompletableFuture<InferenceResponse>> futures = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        futures.add(runtime.infer(request("mlp", rows(1 + i % 3, i))));
      }
      for (int i = 0; i < futures.size(); i++) {
        assertThat(futures.get(i).get().outputs().getFirst().shape())
            .isEqualTo(Shape.of(1 + i % 3, 3));
      }
      ModelStatistics stats = runtime.statistics(Optional.of("mlp"), Optional.empty()).getFirst();
      assertThat(stats.inferenceStats().success().count()).isEqualTo(200);
    }
  }

  static <T> java.util.function.BiConsumer<T, Throwable> relay(CompletableFuture<T> to) {
    return (v, t) -> {
      if (t != null) {
        to.completeExceptionally(t);
      } else {
        to.complete(v);
      }
    };
  }
}
