package dev.strata.cli;

import dev.strata.llm.openai.ApiKeys;
import dev.strata.llm.openai.OpenAiRoutes;
import dev.strata.runtime.ModelManager;
import dev.strata.runtime.RuntimeConfig;
import dev.strata.serving.RequestAuthorizer;
import dev.strata.serving.ServingConfig;
import dev.strata.serving.StrataServer;
import dev.strata.serving.cli.ServingOptions;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code strata serve}: the inference server over a model repository. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Serve the models of a repository over the Open Inference Protocol (KServe V2):",
      "REST on --http-port, gRPC on --grpc-port, Prometheus metrics at /metrics;",
      "language models (<repo>/<model>/<version>/model.gguf) on the OpenAI API (/v1).",
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

  @Mixin ServingOptions listen = new ServingOptions();

  @Option(
      names = "--api-keys-file",
      paramLabel = "FILE",
      description = {
        "Require an API key on the OpenAI API (/v1): 'Authorization: Bearer <key>', the keys",
        "one per line in FILE. Without it, the key in $STRATA_API_KEY if set; else no key."
      })
  Path apiKeysFile;

  @Override
  public Integer call() throws Exception {
    if (!Files.isDirectory(repository)) {
      throw new IllegalArgumentException(
          "--model-repository: " + repository + " is not a directory");
    }
    RequestAuthorizer openAiAuth = RequestAuthorizer.allowAll();
    if (apiKeysFile != null) {
      openAiAuth = ApiKeys.read(apiKeysFile);
    } else if (System.getenv(ApiKeys.ENV) != null && !System.getenv(ApiKeys.ENV).isBlank()) {
      openAiAuth = ApiKeys.of(java.util.List.of(System.getenv(ApiKeys.ENV)));
    }
    ServingConfig serving = listen.config();
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // Ports first: a port in use fails at once, not after minutes of loading models.
    ModelManager models =
        ModelManager.createUnloaded(
            RuntimeConfig.builder(repository)
                .meterRegistry(registry)
                .drainTimeout(serving.drainTimeout())
                .build());
    StrataServer server;
    try {
      server =
          StrataServer.builder(serving, models, registry)
              .routes(OpenAiRoutes.create(models, registry, openAiAuth))
              .start();
    } catch (RuntimeException e) {
      models.close();
      throw e;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  stopped.countDown();
                },
                "strata-shutdown"));
    models.loadRepository().join();
    String grpc =
        server.grpcPort().isPresent()
            ? ", gRPC " + serving.host() + ":" + server.grpcPort().getAsInt()
            : "";
    System.out.println(
        "strata: ready — HTTP http://"
            + serving.host()
            + ":"
            + server.httpPort()
            + grpc
            + " (Ctrl-C stops)");
    stopped.await();
    return 0;
  }
}
