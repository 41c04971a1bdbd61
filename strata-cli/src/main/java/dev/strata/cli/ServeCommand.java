package dev.strata.cli;

import dev.strata.runtime.ModelManager;
import dev.strata.runtime.RuntimeConfig;
import dev.strata.serving.ServingConfig;
import dev.strata.serving.StrataServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code strata serve}: the inference server over a model repository. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Serve the models of a repository over the Open Inference Protocol (KServe V2):",
      "REST on --http-port, gRPC on --grpc-port, Prometheus metrics at /metrics.",
      "Layout: <repo>/<model>/<version>/model.onnx with an optional <repo>/<model>/config.json",
      "or Triton's <repo>/<model>/config.pbtxt."
    })
final class ServeCommand implements Callable<Integer> {
  @Option(
      names = "--model-repository",
      required = true,
      paramLabel = "DIR",
      description = "The model repository directory.")
  Path repository;

  @Option(
      names = "--host",
      defaultValue = ServingConfig.DEFAULT_HOST,
      description =
          "Address to listen on (default: ${DEFAULT-VALUE}, loopback only; 0.0.0.0 for all).")
  String host;

  @Option(
      names = "--http-port",
      defaultValue = "8000",
      description = "HTTP port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
  int httpPort;

  @Option(
      names = "--grpc-port",
      defaultValue = "8001",
      description = "gRPC port (default: ${DEFAULT-VALUE}; 0 picks a free one, -1 disables gRPC).")
  int grpcPort;

  @Option(
      names = "--max-request-mb",
      defaultValue = "64",
      description = "Largest request body in MiB (default: ${DEFAULT-VALUE}).")
  int maxRequestMb;

  @Option(
      names = "--drain-timeout",
      defaultValue = "30s",
      converter = DurationConverter.class,
      description = "How long shutdown waits for in-flight requests (default: ${DEFAULT-VALUE}).")
  Duration drainTimeout;

  @Option(
      names = "--io-threads",
      defaultValue = "0",
      description = "Network threads (default: one per processor).")
  int ioThreads;

  @Override
  public Integer call() throws Exception {
    if (!Files.isDirectory(repository)) {
      throw new IllegalArgumentException(
          "--model-repository: " + repository + " is not a directory");
    }
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    ModelManager models =
        ModelManager.create(
            RuntimeConfig.builder(repository)
                .meterRegistry(registry)
                .drainTimeout(drainTimeout)
                .build());
    ServingConfig serving =
        new ServingConfig(
            host,
            httpPort,
            grpcPort,
            Math.multiplyExact(maxRequestMb, 1024 * 1024),
            drainTimeout,
            ioThreads);
    StrataServer server = StrataServer.start(serving, models, registry);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  stopped.countDown();
                },
                "strata-shutdown"));
    models.startup().join();
    String grpc =
        server.grpcPort().isPresent() ? ", gRPC " + host + ":" + server.grpcPort().getAsInt() : "";
    System.out.println(
        "strata: ready — HTTP http://" + host + ":" + server.httpPort() + grpc + " (Ctrl-C stops)");
    stopped.await();
    return 0;
  }
}
