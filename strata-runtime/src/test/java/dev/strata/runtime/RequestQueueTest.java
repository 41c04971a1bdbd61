package dev.strata.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.core.DataType;
import dev.strata.core.InferenceRequest;
import dev.strata.core.Shape;
import dev.strata.core.Tensor;
import dev.strata.core.TensorSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The batcher's decisions, without ONNX Runtime: what one worker takes from the queue. */
class RequestQueueTest {
  private static final long LONG_DELAY_US = 60_000_000;

  private final ModelSignature signature =
      new ModelSignature(
          "m",
          8,
          List.of(new TensorSpec("x", DataType.FP32, Shape.of(-1))),
          List.of(new TensorSpec("y", DataType.FP32, Shape.of(1))),
          List.of(List.of()),
          java.util.Optional.empty());

  private Pending pending(int rows, int width) {
    Pending p =
        new Pending(
            InferenceRequest.of(
                "m", List.of(Tensor.ofFloats("x", Shape.of(rows, width), new float[rows * width]))),
            System.nanoTime());
    signature.validate(p);
    p.enqueueNanos = System.nanoTime();
    return p;
  }

  private RequestQueue queue(long delayUs, List<Integer> preferred, int capacity) {
    return new RequestQueue(new BatchPolicy(8, delayUs, preferred), signature, capacity);
  }

  @Test
  void withoutDelayTakesEverythingQueuedUpToTheLimit() throws Exception {
    RequestQueue q = queue(0, List.of(), 100);
    Pending a = pending(3, 2);
    Pending b = pending(4, 2);
    Pending c = pending(2, 2);
    q.offer(a);
    q.offer(b);
    q.offer(c);
    Batch batch = new Batch(8);

    assertThat(q.take(batch)).isTrue();
    assertThat(batch.rows).isEqualTo(7); // c would make 9 > 8
    assertThat(java.util.Arrays.asList(batch.items).subList(0, batch.size)).containsExactly(a, b);
    batch.clear();
    assertThat(q.take(batch)).isTrue();
    assertThat(batch.items[0]).isSameAs(c);
  }

  @Test
  void aModelThatDoesNotBatchRunsOneRequestPerExecution() throws Exception {
    // What the batching probe falls back to: max_batch_size 0, whatever the configured delay.
    ModelSignature unbatched =
        new ModelSignature(
            "m",
            0,
            List.of(new TensorSpec("x", DataType.FP32, Shape.of(-1))),
            List.of(new TensorSpec("y", DataType.FP32, Shape.of(-1))),
            List.of(List.of()),
            java.util.Optional.empty());
    RequestQueue q = new RequestQueue(new BatchPolicy(0, LONG_DELAY_US, List.of()), unbatched, 100);
    List<Pending> sent = new java.util.ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Pending p =
          new Pending(
              InferenceRequest.of("m", List.of(Tensor.ofFloats("x", Shape.of(2), 1, 2))),
              System.nanoTime());
      unbatched.validate(p);
      p.enqueueNanos = System.nanoTime();
      assertThat(q.offer(p)).isEqualTo(RequestQueue.Offer.ACCEPTED);
      sent.add(p);
    }
    Batch batch = new Batch(1);
    for (Pending p : sent) {
      assertThat(q.take(batch)).isTrue();
      assertThat(batch.size).isEqualTo(1);
      assertThat(batch.items[0]).isSameAs(p);
      batch.clear();
    }
  }

  @Test
  void aFullBatchRunsWithoutWaitingForTheDelay() throws Exception {
    RequestQueue q = queue(LONG_DELAY_US, List.of(), 100);
    q.offer(pending(5, 2));
    q.offer(pending(3, 2));
    Batch batch = new Batch(8);
    assertThat(q.take(batch)).isTrue();
    assertThat(batch.rows).isEqualTo(8);
  }

  @Test
  void theLargestPreferredSizeThatCanBeFormedRunsAtOnce() throws Exception {
    RequestQueue q = queue(LONG_DELAY_US, List.of(2, 4), 100);
    for (int i = 0; i < 5; i++) {
      q.offer(pending(1, 2));
    }
    Batch batch = new Batch(8);
    assertThat(q.take(batch)).isTrue();
    assertThat(batch.rows).isEqualTo(4);
    assertThat(q.size()).isEqualTo(1);
  }

  @Test
  void aDifferentShapeEndsTheBatch() throws Exception {
    RequestQueue q = queue(LONG_DELAY_US, List.of(), 100);
    Pending a = pending(1, 2);
    q.offer(a);
    q.offer(pending(1, 3));
    Batch batch = new Batch(8);
    assertThat(q.take(batch)).isTrue();
    assertThat(batch.size).isEqualTo(1);
    assertThat(batch.items[0]).isSameAs(a);
  }

  @Test
  void boundedRemovableAndDrainedAfterClose() throws Exception {
    RequestQueue q = queue(LONG_DELAY_US, List.of(), 2);
    Pending a = pending(1, 2);
    Pending b = pending(1, 2);
    assertThat(q.offer(a)).isEqualTo(RequestQueue.Offer.ACCEPTED);
    assertThat(q.offer(b)).isEqualTo(RequestQueue.Offer.ACCEPTED);
    assertThat(q.offer(pending(1, 2))).isEqualTo(RequestQueue.Offer.FULL);

    assertThat(q.remove(a)).isTrue();
    assertThat(q.remove(a)).isFalse();
    q.close();
    assertThat(q.offer(pending(1, 2))).isEqualTo(RequestQueue.Offer.CLOSED);

    Batch batch = new Batch(8);
    assertThat(q.take(batch)).isTrue(); // closed: no waiting for the delay
    assertThat(batch.size).isEqualTo(1);
    assertThat(batch.items[0]).isSameAs(b);
    batch.clear();
    assertThat(q.take(batch)).isFalse();
  }

  @Test
  void aCompletedRequestIsSkipped() throws Exception {
    RequestQueue q = queue(0, List.of(), 10);
    Pending a = pending(1, 2);
    Pending b = pending(1, 2);
    q.offer(a);
    q.offer(b);
    a.completeExceptionally(new IllegalStateException("timed out"));
    Batch batch = new Batch(8);
    assertThat(q.take(batch)).isTrue();
    assertThat(batch.size).isEqualTo(1);
    assertThat(batch.items[0]).isSameAs(b);
  }
}
