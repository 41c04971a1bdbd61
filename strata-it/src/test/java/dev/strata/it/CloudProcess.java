package dev.strata.it;

import static org.awaitility.Awaitility.await;

import dev.strata.api.CloudApiClient;
import dev.strata.core.StrataException;
import dev.strata.core.testing.SelfSignedCertificate;
import dev.strata.protocol.client.ClientConfig;
import dev.strata.protocol.client.StrataClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code strata cloud} in its own JVM, on fixed loopback ports (so that edges find it again after a
 * restart) over a data directory and registry database that outlive the process.
 */
final class CloudProcess {
  static final String ADMIN_TOKEN = "it-admin-token-0123456789abcdef";
  static final Duration START_TIMEOUT = Duration.ofSeconds(90);

  private final StrataProcess process;
  private final Path dataDir;
  private final int httpPort;
  private final int grpcPort;
  private final CloudDatabase database;
  private final HttpClient http;
  private final Harness harness;
  private final Optional<SelfSignedCertificate> tls;
  private final ManagementClient admin;

  CloudProcess(
      Harness harness,
      Path dir,
      int httpPort,
      int grpcPort,
      CloudDatabase database,
      List<String> options,
      Optional<SelfSignedCertificate> tls,
      HttpClient http) {
    this.harness = harness;
    this.tls = tls;
    this.dataDir = dir.resolve("data");
    this.httpPort = httpPort;
    this.grpcPort = grpcPort;
    this.database = database;
    this.http = http;
    this.admin = new ManagementClient(harness.closeAfter(adminClient(url(), tls)));
    List<String> args = new ArrayList<>();
    args.addAll(
        List.of(
            "cloud",
            "--data-dir",
            dataDir.toString(),
            "--http-port",
            Integer.toString(httpPort),
            "--grpc-port",
            Integer.toString(grpcPort),
            "--io-threads",
            "2",
            "--api-threads",
            "4",
            "--drain-timeout",
            "5s"));
    args.addAll(database.cloudOptions());
    tls.ifPresent(
        t ->
            args.addAll(
                List.of(
                    "--tls-cert",
                    t.certificate().toString(),
                    "--tls-key",
                    t.privateKey().toString())));
    args.addAll(options);
    this.process =
        new StrataProcess(
            "cloud",
            JvmCommand.child(dir.resolve("tmp"), List.of()),
            args,
            Map.of("STRATA_ADMIN_TOKEN", ADMIN_TOKEN),
            dir.resolve("cloud.log"));
  }

  /** Starts the process and returns once its API and inference endpoints answer. */
  CloudProcess start() {
    process.start();
    await("cloud ready on " + url())
        .atMost(START_TIMEOUT)
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              process.requireAlive();
              return Http.ok(http, url().resolve("/v2/health/ready")) && apiAnswers();
            });
    return this;
  }

  private boolean apiAnswers() {
    try {
      admin.api().fleetSummary();
      return true;
    } catch (StrataException e) {
      return false;
    }
  }

  /** {@code kill -9}: no shutdown hook, nothing flushed. */
  void kill() {
    process.kill();
  }

  /** SIGTERM: graceful shutdown; returns the exit status. */
  int stop() {
    return process.stop();
  }

  boolean alive() {
    return process.alive();
  }

  StrataProcess process() {
    return process;
  }

  /** {@code http://127.0.0.1:port}, or {@code https://} with TLS. */
  URI url() {
    return URI.create((tls.isPresent() ? "https" : "http") + "://127.0.0.1:" + httpPort);
  }

  int grpcPort() {
    return grpcPort;
  }

  /** The cloud's API with the admin token (one client for the test, valid across restarts). */
  ManagementClient admin() {
    return admin;
  }

  private static CloudApiClient adminClient(URI url, Optional<SelfSignedCertificate> tls) {
    CloudApiClient.Builder b =
        CloudApiClient.builder(url)
            .token(ADMIN_TOKEN)
            .connectTimeout(Duration.ofSeconds(2))
            .timeout(Duration.ofSeconds(30));
    if (tls.isPresent()) {
      try {
        b.sslContext(tls.get().clientContext());
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("the test certificate's trust store", e);
      }
    }
    return b.build();
  }

  /** A REST client of the cloud's own {@code /v2}, closed with the test. */
  StrataClient rest() {
    return harness.closeAfter(
        StrataClient.rest(ClientConfig.of("127.0.0.1", httpPort).withTimeout(Http.CALL_TIMEOUT)));
  }

  Path dataDir() {
    return dataDir;
  }

  /** The content-addressed artifact store: {@code sha256/ab/abcd...} and {@code tmp/}. */
  Path artifactStore() {
    return dataDir.resolve("artifacts");
  }

  CloudDatabase database() {
    return database;
  }
}
