package dev.strata.it;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.protocol.client.ClientConfig;
import dev.strata.protocol.client.StrataClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code strata edge} in its own JVM: enrolled with a token given through the environment, serving
 * the Open Inference Protocol on fixed loopback ports (REST and gRPC), heartbeating every 250 ms.
 * Its data directory outlives the process, so a restart serves from what the agent kept.
 */
final class EdgeProcess {
  static final Duration START_TIMEOUT = Duration.ofSeconds(90);

  private final Harness harness;
  private final String name;
  private final StrataProcess process;
  private final Path dataDir;
  private final int httpPort;
  private final int grpcPort;
  private final HttpClient http;
  private StrataClient rest;
  private StrataClient grpc;

  EdgeProcess(
      Harness harness,
      String name,
      Path dir,
      URI cloud,
      Optional<String> enrollToken,
      List<String> extraOptions,
      List<String> jvmOptions,
      int httpPort,
      int grpcPort,
      HttpClient http) {
    this.harness = harness;
    this.name = name;
    this.dataDir = dir.resolve("data");
    this.httpPort = httpPort;
    this.grpcPort = grpcPort;
    this.http = http;
    List<String> args = new ArrayList<>();
    args.addAll(
        List.of(
            "edge",
            "--cloud",
            cloud.toString(),
            "--data-dir",
            dataDir.toString(),
            "--name",
            name,
            "--http-port",
            Integer.toString(httpPort),
            "--grpc-port",
            Integer.toString(grpcPort),
            "--poll-interval",
            "250ms",
            "--cloud-timeout",
            "1s",
            "--drain-timeout",
            "5s",
            "--io-threads",
            "2"));
    args.addAll(extraOptions);
    this.process =
        new StrataProcess(
            name,
            JvmCommand.child(dir.resolve("tmp"), jvmOptions),
            args,
            enrollToken.map(t -> Map.of("STRATA_ENROLL_TOKEN", t)).orElse(Map.of()),
            dir.resolve(name + ".log"));
  }

  /** Starts the process and returns once its local server is live (with or without the cloud). */
  EdgeProcess start() {
    process.start();
    await(name + " live on port " + httpPort)
        .atMost(START_TIMEOUT)
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              process.requireAlive();
              return Http.ok(http, url().resolve("/v2/health/live"));
            });
    return this;
  }

  /** {@code kill -9} (a power cut, as far as the agent can tell). */
  void kill() {
    process.kill();
    dropClients();
  }

  /** SIGTERM: the agent drains and stops; returns the exit status. */
  int stop() {
    int status = process.stop();
    dropClients();
    return status;
  }

  private synchronized void dropClients() {
    // clients hold connections to the old process; new ones connect to the next
    rest = null;
    grpc = null;
  }

  String name() {
    return name;
  }

  StrataProcess process() {
    return process;
  }

  URI url() {
    return URI.create("http://127.0.0.1:" + httpPort);
  }

  Path dataDir() {
    return dataDir;
  }

  /** A REST client of this edge's {@code /v2} (binary tensors), closed with the test. */
  synchronized StrataClient rest() {
    if (rest == null) {
      rest = harness.closeAfter(StrataClient.rest(config(httpPort)));
    }
    return rest;
  }

  /** A gRPC client of this edge, closed with the test. */
  synchronized StrataClient grpc() {
    if (grpc == null) {
      grpc = harness.closeAfter(StrataClient.grpc(config(grpcPort)));
    }
    return grpc;
  }

  private static ClientConfig config(int port) {
    return ClientConfig.of("127.0.0.1", port).withTimeout(Http.CALL_TIMEOUT);
  }

  /** {@code GET /edge/v1/status}: node id, connection, models with their states, counters. */
  JsonNode status() {
    return Http.json(http, url().resolve("/edge/v1/status"));
  }

  /** The node id, once the agent has enrolled. */
  Optional<String> nodeId() {
    JsonNode id = status().get("nodeId");
    return id == null ? Optional.empty() : Optional.of(id.asText());
  }
}
