package dev.strata.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.core.DataType;
import dev.strata.core.ErrorCode;
import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.ModelMetadata;
import dev.strata.core.ModelStatistics;
import dev.strata.core.RepositoryEntry;
import dev.strata.core.ServerMetadata;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.core.Tensor;
import dev.strata.core.TensorSpec;
import dev.strata.edge.CollaborativeInferenceService;
import dev.strata.edge.ServedBy;
import dev.strata.protocol.client.InferOptions;
import dev.strata.protocol.client.StrataClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class StreamerTest {
  /** A server that answers inference only, from a function, and records what it was asked. */
  static final class FakeServer implements StrataClient {
    final List<InferenceRequest> asked = new CopyOnWriteArrayList<>();
    final Function<InferenceRequest, InferenceResponse> answer;

    FakeServer(Function<InferenceRequest, InferenceResponse> answer) {
      this.answer = answer;
    }

    @Override
    public InferenceResponse infer(InferenceRequest request, InferOptions options) {
      asked.add(request);
      return answer.apply(request);
    }

    @Override
    public CompletableFuture<InferenceResponse> inferAsync(
        InferenceRequest request, InferOptions options) {
      return CompletableFuture.completedFuture(infer(request, options));
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
    public ServerMetadata serverMetadata() {
      return new ServerMetadata("fake", "1", List.of());
    }

    @Override
    public ModelMetadata modelMetadata(String model, Optional<String> version) {
      return new ModelMetadata(
          model,
          List.of("1"),
          "fake",
          List.of(new TensorSpec("input", DataType.BYTES, Shape.of(-1))),
          List.of(new TensorSpec("probabilities", DataType.FP32, Shape.of(-1, 3))),
          Map.of());
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
    public void close() {}
  }

  /** An answer naming class {@code k} of 3, with the given response parameters. */
  static InferenceResponse answer(InferenceRequest r, int k, Map<String, Object> parameters) {
    float[] p = new float[3];
    p[k] = 1;
    return new InferenceResponse(
        r.model(),
        "1",
        r.id(),
        List.of(Tensor.ofFloats("probabilities", Shape.of(1, 3), p)),
        parameters);
  }

  static List<LabelledImage> images(int n) {
    List<LabelledImage> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new LabelledImage(i, new byte[] {(byte) i}, i % 3));
    }
    return out;
  }

  @Test
  void eachImageGoesDownThreePathsThroughItsEdge() throws Exception {
    // the edges answer the label unless asked for the edge alone on odd images; the cascade
    // escalates images 0 mod 4, the cloud is always right
    Function<InferenceRequest, InferenceResponse> edgeAnswer =
        r -> {
          int image = r.inputs().getFirst().bytesElements().getFirst()[0];
          boolean edgeOnly =
              "edge-only".equals(r.parameters().get(CollaborativeInferenceService.POLICY));
          int label = image % 3;
          if (edgeOnly) {
            return answer(
                r, image % 2 == 1 ? (label + 1) % 3 : label, Map.of("strata.served_by", "edge"));
          }
          return answer(r, label, Map.of("strata.served_by", image % 4 == 0 ? "cloud" : "edge"));
        };
    FakeServer a = new FakeServer(edgeAnswer);
    FakeServer b = new FakeServer(edgeAnswer);
    FakeServer cloud =
        new FakeServer(
            r -> answer(r, r.inputs().getFirst().bytesElements().getFirst()[0] % 3, Map.of()));
    // each client thread reads its own clock, which moves 1 µs per reading
    ThreadLocal<AtomicLong> clock = ThreadLocal.withInitial(AtomicLong::new);
    AtomicInteger done = new AtomicInteger();
    Streamer s =
        new Streamer(
            List.of(a, b),
            cloud,
            "small",
            "big",
            3,
            Duration.ofSeconds(5),
            () -> clock.get().addAndGet(1000));

    List<Observation> out = s.run(images(20), done::incrementAndGet);

    assertThat(done).hasValue(20);
    assertThat(out).hasSize(20);
    for (int i = 0; i < 20; i++) {
      Observation o = out.get(i);
      assertThat(o.label()).isEqualTo(i % 3);
      assertThat(o.edge()).isEqualTo(i % 2);
      assertThat(o.servedBy()).isEqualTo(i % 4 == 0 ? ServedBy.CLOUD : ServedBy.EDGE);
      assertThat(o.edgeOnly().predicted() == o.label()).isEqualTo(i % 2 == 0);
      assertThat(o.cloudOnly().predicted()).isEqualTo(o.label());
      assertThat(o.cascade().nanos()).isEqualTo(1000);
    }
    assertThat(a.asked).hasSize(20).allMatch(r -> r.model().equals("small"));
    assertThat(b.asked).hasSize(20);
    assertThat(cloud.asked).hasSize(20).allMatch(r -> r.model().equals("big"));
    assertThat(a.asked)
        .filteredOn(r -> r.parameters().containsKey(CollaborativeInferenceService.POLICY))
        .hasSize(10);
    assertThat(cloud.asked.getFirst().inputs().getFirst().shape()).isEqualTo(Shape.of(1));
    assertThat(cloud.asked.getFirst().timeout()).contains(Duration.ofSeconds(5));
  }

  @Test
  void aFailedRequestStopsTheRunNamingTheImage() {
    FakeServer edge = new FakeServer(r -> answer(r, 0, Map.of("strata.served_by", "edge")));
    FakeServer cloud =
        new FakeServer(
            r -> {
              if (r.inputs().getFirst().bytesElements().getFirst()[0] == 7) {
                throw new StrataException(ErrorCode.UNAVAILABLE, "model 'big' is loading");
              }
              return answer(r, 0, Map.of());
            });
    Streamer s =
        new Streamer(
            List.of(edge), cloud, "small", "big", 2, Duration.ofSeconds(5), System::nanoTime);
    assertThatThrownBy(() -> s.run(images(20), () -> {}))
        .isInstanceOfSatisfying(
            StrataException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE))
        .hasMessage("test image 7 via edge 0: model 'big' is loading");
  }

  @Test
  void anEdgeWithoutTheCascadeIsNamed() {
    FakeServer edge = new FakeServer(r -> answer(r, 0, Map.of()));
    Streamer s =
        new Streamer(
            List.of(edge), edge, "small", "big", 1, Duration.ofSeconds(5), System::nanoTime);
    assertThatThrownBy(() -> s.run(images(1), () -> {}))
        .hasMessageContaining("without strata.served_by (is the cascade deployed there?)");
    assertThatThrownBy(() -> Streamer.servedBy("nowhere"))
        .hasMessageContaining("expected: edge, cloud or edge-fallback");
  }
}
