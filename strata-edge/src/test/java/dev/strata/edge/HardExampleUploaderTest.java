package dev.strata.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.strata.control.HardExamplePolicy;
import dev.strata.control.InferencePolicy;
import dev.strata.control.SampleUpload;
import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.core.Tensor;
import dev.strata.runtime.install.Backoff;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class HardExampleUploaderTest {
  static final EdgeDeployment ON =
      new EdgeDeployment(
          "det", 1, "m", 1, InferencePolicy.EDGE_ONLY, HardExamplePolicy.upTo(1 << 20, 4096));
  static final InferenceRequest REQUEST =
      InferenceRequest.of("m", List.of(Tensor.ofFloats("input", Shape.of(1, 2), 1, 2)));
  static final InferenceResponse ANSWER =
      new InferenceResponse(
          "m", "1", "", List.of(Tensor.ofFloats("p", Shape.of(2), 1, 0)), Map.of());

  final Backoff fast = new Backoff(Duration.ofMillis(1), Duration.ofMillis(5), new Random(1));

  @Test
  void aFullQueueDropsAndCounts() throws Exception {
    CountDownLatch inSink = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    List<SampleUpload> sent = new CopyOnWriteArrayList<>();
    HardExampleUploader.Sink blocking =
        (upload, input) -> {
          inSink.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          sent.add(upload);
        };
    try (HardExampleUploader u = new HardExampleUploader(2, blocking, fast)) {
      u.escalated(ON, REQUEST, ANSWER, ANSWER);
      inSink.await();
      for (int i = 0; i < 4; i++) {
        u.escalated(ON, REQUEST, ANSWER, ANSWER);
      }
      assertThat(u.counts()).containsEntry("dropped", 2L).containsEntry("queued", 2L);
      release.countDown();
      await().atMost(Duration.ofSeconds(5)).until(() -> sent.size() == 3);
      assertThat(u.counts()).containsEntry("uploaded", 3L);
    }
  }

  @Test
  void aDeploymentThatDidNotOptInUploadsNothing() {
    List<SampleUpload> sent = new CopyOnWriteArrayList<>();
    EdgeDeployment off =
        new EdgeDeployment("det", 1, "m", 1, InferencePolicy.EDGE_ONLY, HardExamplePolicy.DISABLED);
    try (HardExampleUploader u = new HardExampleUploader(2, (s, i) -> sent.add(s), fast)) {
      u.escalated(off, REQUEST, ANSWER, ANSWER);
      assertThat(u.counts()).containsEntry("queued", 0L).containsEntry("dropped", 0L);
    }
    assertThat(sent).isEmpty();
  }

  @Test
  void anUnreachableCloudIsRetriedThenGivenUp() {
    List<Integer> attempts = new CopyOnWriteArrayList<>();
    try (HardExampleUploader u =
        new HardExampleUploader(
            2,
            (s, i) -> {
              attempts.add(1);
              throw StrataException.unavailable("down");
            },
            fast)) {
      u.escalated(ON, REQUEST, ANSWER, ANSWER);
      await().atMost(Duration.ofSeconds(5)).until(() -> u.counts().get("failed") == 1L);
    }
    assertThat(attempts).hasSize(3);
  }
}
