package dev.strata.protocol.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.core.DataType;
import dev.strata.core.ErrorCode;
import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.OutputRequest;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.core.Tensor;
import dev.strata.core.testing.SampleStatistics;
import dev.strata.core.testing.Tensors;
import dev.strata.protocol.OipNames;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** What every StrataClient does against a server, whatever the transport. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class StrataClientContract {
  protected final FakeModels models = new FakeModels();
  protected StrataClient client;

  /** Starts the fake server over {@link #models} and returns a client of it. */
  protected abstract StrataClient start() throws Exception;

  /** Stops the fake server. */
  protected abstract void stop() throws Exception;

  @BeforeAll
  void startServer() throws Exception {
    client = start();
  }

  @AfterAll
  void stopServer() throws Exception {
    models.releaseSlow.countDown();
    client.close();
    stop();
  }

  private static void assertFails(Runnable call, ErrorCode code, String message) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(StrataException.class, e -> assertThat(e.code()).isEqualTo(code))
        .hasMessageContaining(message);
  }

  @Test
  void healthAndMetadata() {
    assertThat(client.live()).isTrue();
    assertThat(client.ready()).isTrue();
    assertThat(client.serverMetadata()).isEqualTo(models.serverMetadata());
    assertThat(client.modelMetadata("echo", Optional.empty()))
        .isEqualTo(models.modelMetadata("echo", Optional.empty()));
    assertThat(client.modelReady("echo", Optional.of("1"))).isTrue();
    assertThat(client.modelReady("other", Optional.empty())).isFalse();
    assertFails(
        () -> client.modelMetadata("nope", Optional.empty()),
        ErrorCode.NOT_FOUND,
        "model 'nope': not found");
  }

  @ParameterizedTest
  @EnumSource(DataType.class)
  void infersEveryDatatypeBinary(DataType type) {
    echo(type, InferOptions.BINARY);
  }

  @ParameterizedTest
  @EnumSource(DataType.class)
  void infersEveryDatatypeAsJson(DataType type) {
    echo(type, InferOptions.JSON);
  }

  private void echo(DataType type, InferOptions options) {
    Tensor x = Tensors.sample("x", type);
    InferenceRequest request =
        new InferenceRequest(
            "echo",
            Optional.of("1"),
            "id-" + type,
            List.of(x),
            List.of(OutputRequest.of("x_out")),
            Map.of("p", 1L),
            Optional.empty());
    InferenceResponse response = client.infer(request, options);
    assertThat(response.id()).isEqualTo("id-" + type);
    assertThat(response.model()).isEqualTo("echo");
    Tensor out = response.output("x_out").orElseThrow();
    assertThat(out.datatype()).isEqualTo(type);
    assertThat(out.shape()).isEqualTo(x.shape());
    assertThat(Tensors.bytes(out)).isEqualTo(Tensors.bytes(x));
  }

  @Test
  void infersAsynchronouslyManyAtOnce() {
    List<CompletableFuture<InferenceResponse>> futures = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      InferenceRequest r =
          new InferenceRequest(
              "echo",
              Optional.empty(),
              "r" + i,
              List.of(Tensor.ofInts("x", Shape.of(1), i)),
              List.of(),
              Map.of(),
              Optional.empty());
      futures.add(client.inferAsync(r));
    }
    for (int i = 0; i < futures.size(); i++) {
      InferenceResponse r = futures.get(i).join();
      assertThat(r.id()).isEqualTo("r" + i);
      assertThat(r.outputs().get(0).ints()).containsExactly(i);
    }
  }

  @Test
  void errorsCarryTheServersCodeAndMessage() {
    InferenceRequest unknown =
        InferenceRequest.of("nope", List.of(Tensor.ofFloats("x", Shape.of(1), 1f)));
    assertFails(() -> client.infer(unknown), ErrorCode.NOT_FOUND, "model 'nope': not found");
    // RESOURCE_EXHAUSTED shares its HTTP status (503) and gRPC code with others: it comes back
    // exactly through Strata's error code field / trailer.
    InferenceRequest full =
        InferenceRequest.of("full", List.of(Tensor.ofFloats("x", Shape.of(1), 1f)));
    assertFails(() -> client.infer(full), ErrorCode.RESOURCE_EXHAUSTED, "queue of 'full' is full");
    assertThat(client.inferAsync(full))
        .failsWithin(Duration.ofSeconds(10))
        .withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .havingCause()
        .isInstanceOfSatisfying(
            StrataException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED));
  }

  @Test
  void requestTimeoutEndsTheCall() {
    InferenceRequest slow =
        new InferenceRequest(
            "slow",
            Optional.empty(),
            "",
            List.of(Tensor.ofFloats("x", Shape.of(1), 1f)),
            List.of(),
            Map.of(),
            Optional.of(Duration.ofMillis(300)));
    assertFails(() -> client.infer(slow), ErrorCode.DEADLINE_EXCEEDED, "");
    // the connection the timed-out call used is gone; the next call works
    assertThat(client.live()).isTrue();
  }

  @Test
  void statisticsAndRepository() {
    assertThat(client.statistics(Optional.empty(), Optional.empty()))
        .containsExactly(SampleStatistics.everyFieldSet());
    assertThat(client.statistics(Optional.of("echo"), Optional.of("1")))
        .containsExactly(SampleStatistics.everyFieldSet());
    assertFails(
        () -> client.statistics(Optional.of("nope"), Optional.empty()),
        ErrorCode.NOT_FOUND,
        "nope");
    assertThat(client.repositoryIndex(true)).hasSize(1);
    assertThat(models.calls).contains("index true");
    client.load("echo");
    client.unload("echo");
    assertThat(models.calls).contains("load echo", "unload echo");
    assertFails(() -> client.load("nope"), ErrorCode.NOT_FOUND, "model 'nope': not found");
  }

  @Test
  void extensionsAreReported() {
    assertThat(client.serverMetadata().extensions()).containsAll(OipNames.EXTENSIONS);
  }
}
