package dev.strata.edge;

import static dev.strata.edge.CollaborativeInferenceService.CLOUD_ERROR;
import static dev.strata.edge.CollaborativeInferenceService.CONFIDENCE;
import static dev.strata.edge.CollaborativeInferenceService.CONFIDENCE_MEASURE;
import static dev.strata.edge.CollaborativeInferenceService.SERVED_BY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.strata.control.ConfidenceMeasure;
import dev.strata.control.HardExamplePolicy;
import dev.strata.control.InferencePolicy;
import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.OutputRequest;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.core.Tensor;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class CollaborativeInferenceServiceTest {
  final FakeEdge edge = new FakeEdge("probabilities");
  final List<InferenceRequest> cloudCalls = new CopyOnWriteArrayList<>();
  volatile Function<InferenceRequest, CompletableFuture<InferenceResponse>> cloudAnswer =
      r ->
          CompletableFuture.completedFuture(
              new InferenceResponse(
                  r.model(),
                  "7",
                  r.id(),
                  List.of(Tensor.ofFloats("probabilities", Shape.of(1, 2), 1, 0)),
                  Map.of()));
  final CloudInference cloud =
      r -> {
        cloudCalls.add(r);
        return cloudAnswer.apply(r);
      };
  final List<InferenceOutcome> outcomes = new CopyOnWriteArrayList<>();
  final List<InferenceResponse> hardExamples = new CopyOnWriteArrayList<>();
  final AtomicLong now = new AtomicLong();
  final InferenceListener listener =
      new InferenceListener() {
        @Override
        public void completed(EdgeDeployment d, InferenceOutcome o) {
          outcomes.add(o);
        }

        @Override
        public void escalated(
            EdgeDeployment d, InferenceRequest r, InferenceResponse e, InferenceResponse c) {
          hardExamples.add(e);
        }
      };
  final CollaborativeInferenceService service =
      new CollaborativeInferenceService(
          edge,
          cloud,
          Duration.ofMillis(200),
          listener,
          new CloudCircuit(3, Duration.ofSeconds(1), Duration.ofSeconds(4), now::get));

  private void deploy(InferencePolicy policy) {
    service.deployments(
        List.of(new EdgeDeployment("det", 1, "m", 1, policy, HardExamplePolicy.DISABLED)));
  }

  private static InferenceRequest request() {
    return InferenceRequest.of("m", List.of(Tensor.ofFloats("input", Shape.of(1, 2), 1, 2)));
  }

  private InferenceResponse infer(InferenceRequest r) {
    return service.infer(r).join();
  }

  private static InferenceRequest withPolicy(String policy) {
    InferenceRequest r = request();
    return new InferenceRequest(
        r.model(),
        r.version(),
        r.id(),
        r.inputs(),
        r.outputs(),
        Map.of(CollaborativeInferenceService.POLICY, policy),
        r.timeout());
  }

  private static InferencePolicy.Cascade cascade(ConfidenceMeasure m, double threshold) {
    return new InferencePolicy.Cascade(m, threshold, Optional.of("big"));
  }

  @Test
  void edgeOnlyNeverAsksTheCloud() {
    deploy(InferencePolicy.EDGE_ONLY);
    edge.rows = new double[][] {{0.25, 0.25, 0.25, 0.25}};
    InferenceResponse r = infer(request());
    assertThat(r.parameters()).containsEntry(SERVED_BY, "edge").doesNotContainKey(CONFIDENCE);
    assertThat(cloudCalls).isEmpty();
    assertThat(outcomes).singleElement().satisfies(o -> assertThat(o.escalated()).isFalse());
  }

  @Test
  void cascadeKeepsConfidentAnswersOnTheEdge() {
    deploy(cascade(ConfidenceMeasure.MAX_PROBABILITY, 0.6));
    edge.rows = new double[][] {{0.9, 0.05, 0.03, 0.02}};
    InferenceResponse r = infer(request());
    assertThat(r.parameters())
        .containsEntry(SERVED_BY, "edge")
        .containsEntry(CONFIDENCE_MEASURE, "MAX_PROBABILITY");
    assertThat((double) r.parameters().get(CONFIDENCE)).isCloseTo(0.9, within(1e-6));
    assertThat(r.model()).isEqualTo("m");
    assertThat(cloudCalls).isEmpty();
  }

  @Test
  void cascadeSendsUnsureAnswersToTheCloudAndSaysSo() {
    deploy(cascade(ConfidenceMeasure.MAX_PROBABILITY, 0.6));
    edge.rows = new double[][] {{0.4, 0.3, 0.2, 0.1}};
    InferenceResponse r = infer(request());
    assertThat(r.parameters()).containsEntry(SERVED_BY, "cloud");
    assertThat((double) r.parameters().get(CONFIDENCE)).isCloseTo(0.4, within(1e-6));
    assertThat(r.model()).isEqualTo("big");
    assertThat(r.version()).isEqualTo("7");
    assertThat(cloudCalls)
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.model()).isEqualTo("big");
              assertThat(c.version()).isEmpty();
              assertThat(c.timeout()).contains(Duration.ofMillis(200));
              assertThat(c.inputs()).isEqualTo(request().inputs());
            });
    assertThat(hardExamples).singleElement().satisfies(e -> assertThat(e.model()).isEqualTo("m"));
    assertThat(outcomes)
        .singleElement()
        .satisfies(
            o -> {
              assertThat(o.escalated()).isTrue();
              assertThat(o.servedBy()).contains(ServedBy.CLOUD);
            });
  }

  @Test
  void aRequestMayAskForTheEdgeAloneButNeverForMoreCloud() {
    deploy(cascade(ConfidenceMeasure.MAX_PROBABILITY, 0.6));
    edge.rows = new double[][] {{0.4, 0.3, 0.2, 0.1}};
    InferenceRequest edgeOnly = withPolicy("edge-only");
    InferenceResponse r = infer(edgeOnly);
    assertThat(r.parameters()).containsEntry(SERVED_BY, "edge").doesNotContainKey(CONFIDENCE);
    assertThat(r.model()).isEqualTo("m");
    assertThat(cloudCalls).isEmpty();
    assertThat(outcomes).singleElement().satisfies(o -> assertThat(o.escalated()).isFalse());

    InferenceRequest cloudOnly = withPolicy("cloud-only");
    assertThatThrownBy(() -> infer(cloudOnly))
        .hasCauseInstanceOf(StrataException.class)
        .hasMessageContaining("strata.policy: 'cloud-only' (expected: edge-only");
    assertThat(cloudCalls).isEmpty();
  }

  @Test
  void theCloudBeingDownIsNeverAnErrorAtTheEdge() {
    deploy(cascade(ConfidenceMeasure.MAX_PROBABILITY, 0.6));
    edge.rows = new double[][] {{0.4, 0.3, 0.2, 0.1}};
    cloudAnswer = r -> CompletableFuture.failedFuture(StrataException.unavailable("down"));
    InferenceResponse r = infer(request());
    assertThat(r.parameters())
        .containsEntry(SERVED_BY, "edge-fallback")
        .containsEntry(CLOUD_ERROR, "UNAVAILABLE");
    assertThat(r.model()).isEqualTo("m");
    assertThat(r.outputs()).extracting(Tensor::name).containsExactly("probabilities", "embedding");
    assertThat(hardExamples).isEmpty();
    assertThat(outcomes).singleElement().satisfies(o -> assertThat(o.fellBack()).isTrue());
  }

  @Test
  void aSlowCloudTimesOutIntoTheEdgeAnswer() {
    deploy(cascade(ConfidenceMeasure.MAX_PROBABILITY, 0.6));
    edge.rows = new double[][] {{0.4, 0.3, 0.2, 0.1}};
    cloudAnswer = r -> new CompletableFuture<>(); // never answers
    InferenceResponse r = infer(request());
    assertThat(r.parameters())
        .containsEntry(SERVED_BY, "edge-fallback")
        .containsEntry(CLOUD_ERROR, "DEADLINE_EXCEEDED");
  }

  @Test
  void aCloudThatKeepsFailingIsLeftAloneUntilTheCircuitRetries() {
    deploy(cascade(ConfidenceMeasure.MAX_PROBABILITY, 0.6));
    edge.rows = new double[][] {{0.4, 0.3, 0.2, 0.1}};
    cloudAnswer = r -> CompletableFuture.failedFuture(StrataException.unavailable("down"));
    for (int i = 0; i < 10; i++) {
      assertThat(infer(request()).parameters()).containsEntry(SERVED_BY, "edge-fallback");
    }
    assertThat(cloudCalls).hasSize(3);
    assertThat(service.cloudCircuitOpen()).isTrue();

    now.addAndGet(Duration.ofSeconds(1).toNanos());
    cloudAnswer =
        r ->
            CompletableFuture.completedFuture(
                new InferenceResponse(r.model(), "7", r.id(), List.of(), Map.of()));
    assertThat(infer(request()).parameters()).containsEntry(SERVED_BY, "cloud");
    assertThat(cloudCalls).hasSize(4);
    assertThat(service.cloudCircuitOpen()).isFalse();
  }

  @Test
  void marginAndEntropyMeasures() {
    deploy(cascade(ConfidenceMeasure.MARGIN, 0.1));
    edge.rows = new double[][] {{0.5, 0.45, 0.05, 0.0}};
    InferenceResponse close = infer(request());
    assertThat(close.parameters()).containsEntry(SERVED_BY, "cloud");
    assertThat((double) close.parameters().get(CONFIDENCE)).isCloseTo(0.05, within(1e-6));

    deploy(cascade(ConfidenceMeasure.ENTROPY, 0.5));
    edge.rows = new double[][] {{0.25, 0.25, 0.25, 0.25}};
    InferenceResponse uniform = infer(request());
    assertThat(uniform.parameters()).containsEntry(SERVED_BY, "cloud");
    assertThat((double) uniform.parameters().get(CONFIDENCE)).isCloseTo(1.0, within(1e-6));
    edge.rows = new double[][] {{0.97, 0.01, 0.01, 0.01}};
    assertThat(infer(request()).parameters()).containsEntry(SERVED_BY, "edge");
  }

  @Test
  void logitsAreTurnedIntoProbabilities() {
    FakeEdge logits = new FakeEdge("output");
    CollaborativeInferenceService s =
        new CollaborativeInferenceService(logits, cloud, Duration.ofMillis(200), listener);
    s.deployments(
        List.of(
            new EdgeDeployment(
                "det",
                1,
                "m",
                1,
                cascade(ConfidenceMeasure.MAX_PROBABILITY, 0.6),
                HardExamplePolicy.DISABLED)));
    logits.rows = new double[][] {{6, 0, 0, 0}};
    InferenceResponse sure = s.infer(request()).join();
    assertThat(sure.parameters()).containsEntry(SERVED_BY, "edge");
    assertThat((double) sure.parameters().get(CONFIDENCE))
        .isCloseTo(Math.exp(6) / (Math.exp(6) + 3), within(1e-6));
    logits.rows = new double[][] {{0.1, 0.1, 0.1, 0.1}}; // not a distribution: logits, uniform
    assertThat(s.infer(request()).join().parameters()).containsEntry(SERVED_BY, "cloud");
  }

  @Test
  void aClassificationRequestIsScoredOnEveryClassAndAnsweredWithItsTopK() {
    deploy(cascade(ConfidenceMeasure.ENTROPY, 0.9));
    edge.rows = new double[][] {{0.7, 0.1, 0.1, 0.1}};
    InferenceRequest topTwo =
        new InferenceRequest(
            "m",
            Optional.empty(),
            "id-1",
            request().inputs(),
            List.of(new OutputRequest("probabilities", 2, Map.of())),
            Map.of(),
            Optional.empty());
    InferenceResponse r = infer(topTwo);
    double p = 0.7 * Math.log(0.7) + 3 * 0.1 * Math.log(0.1);
    assertThat((double) r.parameters().get(CONFIDENCE)).isCloseTo(-p / Math.log(4), within(1e-5));
    Tensor top = r.output("probabilities").orElseThrow();
    assertThat(top.shape()).isEqualTo(Shape.of(1, 2));
    assertThat(top.strings()).containsExactly("0.700000:0", "0.100000:1");
    assertThat(edge.requests.getLast().outputs().getFirst().classification())
        .isEqualTo(Integer.MAX_VALUE);
  }

  @Test
  void theScoringOutputIsAddedWhenNotAskedForAndRemovedAfterwards() {
    deploy(cascade(ConfidenceMeasure.MAX_PROBABILITY, 0.6));
    edge.rows = new double[][] {{0.9, 0.05, 0.03, 0.02}};
    InferenceRequest embeddingOnly =
        new InferenceRequest(
            "m",
            Optional.empty(),
            "",
            request().inputs(),
            List.of(OutputRequest.of("embedding")),
            Map.of(),
            Optional.empty());
    InferenceResponse r = infer(embeddingOnly);
    assertThat(r.outputs()).extracting(Tensor::name).containsExactly("embedding");
    assertThat((double) r.parameters().get(CONFIDENCE)).isCloseTo(0.9, within(1e-6));
  }

  @Test
  void aBatchIsJudgedByItsLeastConfidentRow() {
    deploy(cascade(ConfidenceMeasure.MAX_PROBABILITY, 0.6));
    edge.rows = new double[][] {{0.9, 0.05, 0.03, 0.02}, {0.5, 0.2, 0.2, 0.1}};
    InferenceResponse r = infer(request());
    assertThat(r.parameters()).containsEntry(SERVED_BY, "cloud");
    assertThat((double) r.parameters().get(CONFIDENCE)).isCloseTo(0.5, within(1e-6));
  }

  @Test
  void offloadWhenBusySendsToTheCloudPastTheQueueLimit() {
    deploy(new InferencePolicy.OffloadWhenBusy(1, Optional.empty()));
    edge.hold = true;
    CompletableFuture<InferenceResponse> first = service.infer(request());
    CompletableFuture<InferenceResponse> second = service.infer(request());
    assertThat(service.inFlight()).isEqualTo(2);
    InferenceResponse third = infer(request());
    assertThat(third.parameters()).containsEntry(SERVED_BY, "cloud");
    assertThat(cloudCalls).singleElement().satisfies(c -> assertThat(c.model()).isEqualTo("m"));
    edge.release();
    assertThat(first.join().parameters()).containsEntry(SERVED_BY, "edge");
    assertThat(second.join().parameters()).containsEntry(SERVED_BY, "edge");
    assertThat(service.inFlight()).isZero();
    assertThat(infer(request()).parameters()).containsEntry(SERVED_BY, "edge");
  }

  @Test
  void refusedAndCancelledRequestsAreNotCountedInFlightAfterwards() {
    deploy(new InferencePolicy.OffloadWhenBusy(1, Optional.empty()));
    edge.hold = true;
    CompletableFuture<InferenceResponse> dropped = service.infer(request());
    CompletableFuture<InferenceResponse> alsoDropped = service.infer(request());
    assertThat(service.inFlight()).isEqualTo(2);
    // The callers go away (a closed connection cancels what it waits for).
    dropped.cancel(false);
    alsoDropped.cancel(false);
    assertThat(service.inFlight()).isZero();
    // Refused: a request parameter the service does not take.
    assertThatThrownBy(() -> service.infer(withPolicy("nonsense")).join())
        .hasCauseInstanceOf(StrataException.class);
    assertThat(service.inFlight()).isZero();
    // Nothing stale makes the edge look busy: the next request is the edge's.
    edge.release();
    assertThat(infer(request()).parameters()).containsEntry(SERVED_BY, "edge");
    assertThat(cloudCalls).isEmpty();
  }

  @Test
  void cloudOnlyFallsBackToTheEdge() {
    deploy(new InferencePolicy.CloudOnly(Optional.empty()));
    assertThat(infer(request()).parameters()).containsEntry(SERVED_BY, "cloud");
    cloudAnswer = r -> CompletableFuture.failedFuture(StrataException.unavailable("down"));
    assertThat(infer(request()).parameters()).containsEntry(SERVED_BY, "edge-fallback");
    assertThat(outcomes).extracting(InferenceOutcome::escalated).containsExactly(true, true);
  }

  @Test
  void modelsWithoutADeploymentAreTheRuntimesAlone() {
    deploy(cascade(ConfidenceMeasure.MAX_PROBABILITY, 0.6));
    InferenceRequest other =
        InferenceRequest.of("other", List.of(Tensor.ofFloats("input", Shape.of(1, 2), 1, 2)));
    assertThat(infer(other).parameters()).isEmpty();
    assertThat(outcomes).isEmpty();
  }

  @Test
  void oneModelServesOneDeployment() {
    EdgeDeployment a =
        new EdgeDeployment("a", 1, "m", 1, InferencePolicy.EDGE_ONLY, HardExamplePolicy.DISABLED);
    EdgeDeployment b =
        new EdgeDeployment("b", 1, "m", 2, InferencePolicy.EDGE_ONLY, HardExamplePolicy.DISABLED);
    assertThatThrownBy(() -> service.deployments(List.of(a, b)))
        .hasMessageContaining("model 'm': deployed by both a and b");
  }
}
