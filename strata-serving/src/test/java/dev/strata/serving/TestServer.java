package dev.strata.serving;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.strata.onnx.ExampleModels;
import dev.strata.onnx.OnnxModels;
import dev.strata.protocol.client.ClientConfig;
import dev.strata.protocol.client.StrataClient;
import dev.strata.runtime.ModelManager;
import dev.strata.runtime.RuntimeConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.UnaryOperator;

/**
 * A real server on loopback over a model repository written in a temp dir: a runtime, the HTTP and
 * gRPC listeners, and clients for both.
 */
final class TestServer implements AutoCloseable {
  /** The small CNN with labels, batching up to 8. */
  static final String CNN = "cnn";

  /** The MLP {@code input[N,4] -> probabilities[N,3]}, batching up to 4. */
  static final String MLP = "mlp";

  /** One Identity per datatype. */
  static final String IDENTITY = "identity";

  static final int MAX_REQUEST_BYTES = 1 << 20;

  final Path repository;
  final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  final ModelManager runtime;
  final StrataServer server;

  private TestServer(Path repository, UnaryOperator<ServingConfig> serving) {
    this.repository = repository;
    runtime =
        ModelManager.create(
            RuntimeConfig.builder(repository)
                .meterRegistry(registry)
                .defaultIntraOpThreads(1)
                .drainTimeout(Duration.ofSeconds(10))
                .build());
    server =
        StrataServer.start(
            serving.apply(
                ServingConfig.ephemeral().withMaxRequestBytes(MAX_REQUEST_BYTES).withIoThreads(2)),
            runtime,
            registry);
    runtime.startup().join();
  }

  /** Writes the standard repository (identity, cnn, mlp) and starts a server over it. */
  static TestServer start(Path dir) {
    return start(dir, UnaryOperator.identity());
  }

  static TestServer start(Path dir, UnaryOperator<ServingConfig> serving) {
    writeModel(dir, IDENTITY, 1, ExampleModels.identityAllTypes());
    writeModel(dir, CNN, 1, ExampleModels.smallCnn(11));
    writeFile(dir.resolve(CNN).resolve("labels.txt"), String.join("\n", labels()) + "\n");
    writeFile(
        dir.resolve(CNN).resolve("config.json"),
        "{\"max_batch_size\": 8, \"labels\": \"labels.txt\"}");
    writeModel(dir, MLP, 1, ExampleModels.mlp(4, 8, 3, 1));
    writeFile(dir.resolve(MLP).resolve("config.json"), "{\"max_batch_size\": 4}");
    return new TestServer(dir, serving);
  }

  static String[] labels() {
    return new String[] {
      "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
      "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"
    };
  }

  static void writeModel(Path repo, String name, long version, ModelProto model) {
    try {
      OnnxModels.write(
          model, repo.resolve(name).resolve(Long.toString(version)).resolve("model.onnx"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void writeFile(Path file, String content) {
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, content);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  URI http(String path) {
    return URI.create("http://127.0.0.1:" + server.httpPort() + path);
  }

  StrataClient rest() {
    return StrataClient.rest(ClientConfig.of("127.0.0.1", server.httpPort()));
  }

  StrataClient grpc() {
    return StrataClient.grpc(ClientConfig.of("127.0.0.1", server.grpcPort().orElseThrow()));
  }

  @Override
  public void close() {
    server.close();
  }
}
