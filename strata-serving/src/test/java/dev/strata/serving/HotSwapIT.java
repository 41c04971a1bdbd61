package dev.strata.serving;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.Shape;
import dev.strata.core.Tensor;
import dev.strata.onnx.ExampleModels;
import dev.strata.protocol.client.StrataClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new version loaded through the repository API while clients hammer the model over REST and
 * gRPC: not one request fails, and traffic moves from version 1 to version 2.
 */
class HotSwapIT {
  @TempDir Path dir;

  @Test
  void newVersionUnderLoadHasZeroFailedRequests() throws Exception {
    try (TestServer server = TestServer.start(dir)) {
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicInteger ok = new AtomicInteger();
      AtomicInteger onV2 = new AtomicInteger();
      ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
      List<StrataClient> clients =
          List.of(server.rest(), server.rest(), server.grpc(), server.grpc());
      ExecutorService pool = Executors.newFixedThreadPool(clients.size());
      List<Future<?>> loops = new ArrayList<>();
      for (StrataClient c : clients) {
        loops.add(
            pool.submit(
                () -> {
                  Tensor input = Tensor.ofFloats(ExampleModels.INPUT, Shape.of(1, 4), 1, 2, 3, 4);
                  while (running.get()) {
                    try {
                      InferenceResponse r =
                          c.infer(InferenceRequest.of(TestServer.MLP, List.of(input)));
                      ok.incrementAndGet();
                      if (r.version().equals("2")) {
                        onV2.incrementAndGet();
                      }
                    } catch (RuntimeException e) {
                      failures.add(e);
                    }
                  }
                }));
      }
      Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> ok.get() > 200);
      TestServer.writeModel(dir, TestServer.MLP, 2, ExampleModels.mlp(4, 8, 3, 2));
      try (StrataClient control = server.rest()) {
        control.load(TestServer.MLP);
        int atSwap = ok.get();
        Awaitility.await()
            .atMost(Duration.ofSeconds(20))
            .until(() -> ok.get() > atSwap + 200 && onV2.get() > 100);
        running.set(false);
        for (Future<?> f : loops) {
          f.get();
        }
        assertThat(failures).isEmpty();
        assertThat(control.modelMetadata(TestServer.MLP, Optional.empty()).versions())
            .containsExactly("2");
        assertThat(control.repositoryIndex())
            .extracting(e -> e.name() + "/" + e.version() + "/" + e.state())
            .contains("mlp/2/READY")
            .doesNotContain("mlp/1/READY");
      } finally {
        running.set(false);
        pool.shutdownNow();
        clients.forEach(StrataClient::close);
      }
    }
  }
}
