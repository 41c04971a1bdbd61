package dev.strata.runtime;

import static dev.strata.runtime.Failures.failure;
import static dev.strata.runtime.TestRepo.request;
import static dev.strata.runtime.TestRepo.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.strata.core.DataType;
import dev.strata.core.ErrorCode;
import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.Shape;
import dev.strata.core.Tensor;
import dev.strata.onnx.OnnxGraphBuilder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link InferenceService#infer(InferenceRequest, Runnable)}: the runtime reads inputs in place and
 * hands them back exactly once, and never before it has stopped reading them.
 */
class InputReleaseTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String LONG_DELAY = "\"max_queue_delay_us\": 30000000";

  @TempDir Path dir;

  /** Counts the release calls of one request. */
  private static class Release implements Runnable {
    final AtomicInteger calls = new AtomicInteger();

    @Override
    public void run() {
      calls.incrementAndGet();
    }
  }

  private ModelManager mlp(String config) {
    return new TestRepo(dir).mlp("mlp", 1, 3).config("mlp", config).start();
  }

  @Test
  void anAnsweredRequestIsReleasedOnceAndItsInputsMayBeSegmented() throws Exception {
    try (ModelManager runtime = mlp("{\"max_batch_size\": 8}")) {
      Tensor whole = rows(2, 0);
      ByteBuffer data = whole.data();
      ByteBuffer direct = ByteBuffer.allocateDirect(20).order(ByteOrder.LITTLE_ENDIAN);
      direct.put(data.slice(12, 20)).flip();
      Tensor split =
          Tensor.ofSegments(
              whole.name(), DataType.FP32, whole.shape(), List.of(data.slice(0, 12), direct));
      Release release = new Release();

      InferenceResponse answer = runtime.infer(request("mlp", split), release).get();

      InferenceResponse expected = runtime.infer(request("mlp", whole)).get();
      assertThat(answer.outputs()).isEqualTo(expected.outputs());
      await().atMost(WAIT).until(() -> release.calls.get() == 1);
      assertThat(release.calls).hasValue(1);
    }
  }

  @Test
  void aRequestTurnedAwayIsReleasedBeforeInferReturns() {
    try (ModelManager runtime =
        mlp(
            "{\"max_batch_size\": 8, \"dynamic_batching\": {"
                + LONG_DELAY
                + ", \"max_queue_size\": 1}}")) {
      Release queued = new Release();
      CompletableFuture<InferenceResponse> first =
          runtime.infer(request("mlp", rows(1, 0)), queued);
      Release full = new Release();
      CompletableFuture<InferenceResponse> second = runtime.infer(request("mlp", rows(1, 1)), full);
      Release invalid = new Release();
      CompletableFuture<InferenceResponse> wrong =
          runtime.infer(
              request("mlp", Tensor.ofFloats("input", Shape.of(1, 5), 1, 2, 3, 4, 5)), invalid);
      Release unknown = new Release();
      CompletableFuture<InferenceResponse> missing =
          runtime.infer(request("nope", rows(1, 0)), unknown);

      assertThat(full.calls).hasValue(1);
      assertThat(invalid.calls).hasValue(1);
      assertThat(unknown.calls).hasValue(1);
      assertThat(failure(second).code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
      assertThat(failure(wrong).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
      assertThat(failure(missing).code()).isEqualTo(ErrorCode.NOT_FOUND);
      assertThat(queued.calls).hasValue(0); // still queued: the runtime will read it
      assertThat(first).isNotDone();
    }
  }

  @Test
  void aRequestLeavingTheQueueUnrunIsReleasedAtOnce() {
    try (ModelManager runtime =
        mlp("{\"max_batch_size\": 8, \"dynamic_batching\": {" + LONG_DELAY + "}}")) {
      Release cancelled = new Release();
      CompletableFuture<InferenceResponse> a = runtime.infer(request("mlp", rows(1, 0)), cancelled);
      Release expired = new Release();
      InferenceRequest soon =
          new InferenceRequest(
              "mlp",
              Optional.empty(),
              "",
              List.of(rows(1, 1)),
              List.of(),
              Map.of(),
              Optional.of(Duration.ofMillis(50)));
      CompletableFuture<InferenceResponse> b = runtime.infer(soon, expired);

      assertThat(a.cancel(false)).isTrue();
      assertThat(cancelled.calls).hasValue(1);
      assertThat(failure(b).code()).isEqualTo(ErrorCode.DEADLINE_EXCEEDED);
      await().atMost(WAIT).until(() -> expired.calls.get() == 1);
      assertThat(runtime.servingVersions("mlp").getFirst().queue.size()).isZero();
    }
  }

  @Test
  void shutdownReleasesWhatItFailsInTheQueue() {
    ModelManager runtime =
        new TestRepo(dir)
            .mlp("mlp", 1, 3)
            .config("mlp", "{\"max_batch_size\": 8, \"dynamic_batching\": {" + LONG_DELAY + "}}")
            .start(b -> b.drainTimeout(Duration.ZERO));
    Release release = new Release();
    CompletableFuture<InferenceResponse> f = runtime.infer(request("mlp", rows(1, 0)), release);

    runtime.shutdown(Duration.ZERO);

    assertThat(f).isDone();
    assertThat(release.calls).hasValue(1);
  }

  /**
   * A request cancelled while its execution runs completes at once, but ONNX Runtime may still be
   * reading its input: the release waits for the execution to end.
   */
  @Test
  void aRequestCancelledWhileRunningIsReleasedOnlyAfterItsExecution() {
    try (ModelManager runtime =
        new TestRepo(dir).model("slow", 1, slowModel()).config("slow", "{}").start()) {
      AtomicLong executionsAtRelease = new AtomicLong(-1);
      Release release =
          new Release() {
            @Override
            public void run() {
              executionsAtRelease.set(
                  runtime
                      .statistics(Optional.of("slow"), Optional.empty())
                      .getFirst()
                      .executionCount());
              super.run();
            }
          };
      float[] x = new float[64 * 1024];
      Arrays.fill(x, 1f);
      CompletableFuture<InferenceResponse> f =
          runtime.infer(request("slow", Tensor.ofFloats("x", Shape.of(64, 1024), x)), release);
      ModelVersion v = runtime.servingVersions("slow").getFirst();
      await()
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(1))
          .until(() -> v.queue.size() == 0); // a worker has taken it

      assertThat(f.cancel(false)).isTrue();
      assertThat(release.calls).hasValue(0);

      await().atMost(WAIT).until(() -> release.calls.get() == 1);
      assertThat(executionsAtRelease).hasValue(1);
    }
  }

  /**
   * {@code y = x W W ... W}: 200 products of 64×1024 by 1024×1024, most of a second on one thread.
   */
  private static ai.onnx.proto.OnnxMl.ModelProto slowModel() {
    OnnxGraphBuilder g = OnnxGraphBuilder.create("slow");
    String x = g.input("x", DataType.FP32, Shape.of(64, 1024));
    float[] w = new float[1024 * 1024];
    Arrays.fill(w, 1f / 1024);
    String weights = g.initializer("w", Shape.of(1024, 1024), w);
    String at = x;
    for (int i = 0; i < 200; i++) {
      at = g.node("MatMul", at, weights);
    }
    g.output(g.node("Identity", List.of(at), Map.of(), "y"), DataType.FP32, Shape.of(64, 1024));
    return g.build();
  }
}
