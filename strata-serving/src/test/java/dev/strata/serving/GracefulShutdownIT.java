package dev.strata.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.ModelStatistics;
import dev.strata.core.Shape;
import dev.strata.core.Tensor;
import dev.strata.onnx.ExampleModels;
import dev.strata.protocol.client.StrataClient;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shutdown drains: requests already queued when it starts are answered, new connections are
 * refused. A client that goes away before its request runs cancels it.
 */
class GracefulShutdownIT {
  @TempDir Path dir;

  /** An MLP whose batcher holds requests for up to 400 ms to fill a batch of 8. */
  private TestServer slowServer() {
    TestServer.writeModel(dir, "slow", 1, ExampleModels.mlp(4, 8, 3, 3));
    TestServer.writeFile(
        dir.resolve("slow").resolve("config.json"),
        "{\"max_batch_size\": 8, \"dynamic_batching\": {\"max_queue_delay_us\": 400000}}");
    return TestServer.start(dir);
  }

  @Test
  void inFlightRequestsCompleteDuringShutdownAndNewOnesAreRefused() throws Exception {
    TestServer server = slowServer();
    StrataClient client = server.rest();
    Tensor input = Tensor.ofFloats(ExampleModels.INPUT, Shape.of(1, 4), 1, 2, 3, 4);
    List<CompletableFuture<InferenceResponse>> inFlight = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      inFlight.add(client.inferAsync(InferenceRequest.of("slow", List.of(input))));
    }
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> server.server.inFlightHttpRequests() == 3);
    CompletableFuture<Void> shutdown = CompletableFuture.runAsync(server::close);
    for (CompletableFuture<InferenceResponse> f : inFlight) {
      assertThat(f.get().outputs()).hasSize(1);
    }
    shutdown.get();
    client.close();
    assertThatThrownBy(() -> new Socket("127.0.0.1", server.server.httpPort()).close())
        .isInstanceOf(java.net.ConnectException.class);
  }

  @Test
  void aClientThatDisconnectsBeforeItsRequestRunsCancelsIt() throws Exception {
    try (TestServer server = slowServer()) {
      String body =
          "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}]}";
      try (Socket s = new Socket("127.0.0.1", server.server.httpPort())) {
        OutputStream out = s.getOutputStream();
        out.write(
            ("POST /v2/models/slow/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: "
                    + body.length()
                    + "\r\n\r\n"
                    + body)
                .getBytes(StandardCharsets.UTF_8));
        out.flush();
        Awaitility.await()
            .atMost(Duration.ofSeconds(5))
            .until(() -> server.server.inFlightHttpRequests() == 1);
      }
      Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> server.server.inFlightHttpRequests() == 0);
      try (StrataClient c = server.rest()) {
        // A later request runs alone: had the cancelled one run, the model would count two.
        c.infer(
            InferenceRequest.of(
                "slow", List.of(Tensor.ofFloats("input", Shape.of(1, 4), 1, 2, 3, 4))));
        ModelStatistics stats = c.statistics(Optional.of("slow"), Optional.empty()).getFirst();
        assertThat(stats.inferenceCount()).isEqualTo(1);
        assertThat(stats.executionCount()).isEqualTo(1);
      }
    }
  }
}
