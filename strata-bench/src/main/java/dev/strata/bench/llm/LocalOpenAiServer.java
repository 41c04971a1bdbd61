package dev.strata.bench.llm;

import dev.strata.llm.openai.OpenAiRoutes;
import dev.strata.runtime.ModelManager;
import dev.strata.runtime.RuntimeConfig;
import dev.strata.serving.RequestAuthorizer;
import dev.strata.serving.ServingConfig;
import dev.strata.serving.StrataServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;

/**
 * The runtime over a repository with its models loaded, behind the OpenAI routes on an ephemeral
 * loopback port, in this JVM (so that the benchmarks' clients and the server share the cores).
 */
record LocalOpenAiServer(ModelManager runtime, StrataServer server) implements AutoCloseable {
  static LocalOpenAiServer start(RuntimeConfig.Builder config) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    ModelManager runtime = ModelManager.create(config.meterRegistry(registry).build());
    try {
      runtime.startup().join();
      StrataServer server =
          StrataServer.builder(ServingConfig.ephemeral().withIoThreads(1), runtime, registry)
              .routes(OpenAiRoutes.create(runtime, registry, RequestAuthorizer.allowAll()))
              .start();
      return new LocalOpenAiServer(runtime, server);
    } catch (RuntimeException e) {
      runtime.close();
      throw e;
    }
  }

  /** {@code path} (e.g. {@code /v1/embeddings}) on this server. */
  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.httpPort() + path);
  }

  @Override
  public void close() {
    server.close();
    runtime.close();
  }
}
