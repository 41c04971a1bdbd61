package dev.strata.cli;

import dev.strata.core.InferenceRequest;
import dev.strata.core.Tensor;
import dev.strata.onnx.ExampleModels;
import dev.strata.onnx.OnnxModels;
import dev.strata.protocol.client.ClientConfig;
import dev.strata.protocol.client.InferOptions;
import dev.strata.protocol.client.StrataClient;
import dev.strata.runtime.ModelManager;
import dev.strata.runtime.RuntimeConfig;
import dev.strata.serving.ServingConfig;
import dev.strata.serving.StrataServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;

/**
 * A short run of what {@code strata serve} does at start and on its first requests: the launcher
 * runs it once after a build to record the JVM's ahead-of-time cache (classes loaded and linked,
 * method profiles), which later starts use to reach readiness sooner. Hidden: not for users.
 */
@Command(name = "startup-training", hidden = true, description = "Record the start-up cache.")
final class StartupTrainingCommand implements Callable<Integer> {
  @Override
  public Integer call() throws Exception {
    Path repo = Files.createTempDirectory("strata-startup-training");
    try {
      OnnxModels.write(ExampleModels.smallCnn(1), repo.resolve("cnn/1/model.onnx"));
      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      ModelManager models =
          ModelManager.create(RuntimeConfig.builder(repo).meterRegistry(registry).build());
      try (StrataServer server = StrataServer.start(ServingConfig.ephemeral(), models, registry)) {
        models.startup().join();
        Tensor image =
            Tensor.ofFloats(
                ExampleModels.INPUT, dev.strata.core.Shape.of(1, 1, 28, 28), new float[784]);
        InferenceRequest request = InferenceRequest.of("cnn", List.of(image));
        try (StrataClient rest =
                StrataClient.rest(ClientConfig.of("127.0.0.1", server.httpPort()));
            StrataClient grpc =
                StrataClient.grpc(ClientConfig.of("127.0.0.1", server.grpcPort().orElseThrow()))) {
          rest.ready();
          rest.infer(request, InferOptions.JSON);
          rest.infer(request, InferOptions.BINARY);
          grpc.infer(request);
        }
      }
    } finally {
      delete(repo);
    }
    return 0;
  }

  private static void delete(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
