package dev.strata.cli.demo;

import dev.strata.api.CloudApiClient;
import dev.strata.api.CloudStatus;
import dev.strata.api.Deployment;
import dev.strata.api.DeploymentSpec;
import dev.strata.cloud.CloudConfig;
import dev.strata.cloud.CloudServer;
import dev.strata.control.LoadState;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.registry.fleet.FleetSettings;
import java.net.BindException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/** The demo's cloud: started in this process over the data directory, driven through its API. */
final class DemoCloud implements AutoCloseable {
  /** Edges heartbeat every second, so a deployment reaches them within about a second. */
  static final FleetSettings FLEET =
      new FleetSettings(
          Duration.ofSeconds(1),
          Duration.ofSeconds(30),
          Duration.ofMinutes(2),
          Duration.ofSeconds(5),
          Duration.ofHours(24));

  private final CloudServer server;
  private final CloudApiClient api;

  private DemoCloud(CloudServer server, CloudApiClient api) {
    this.server = server;
    this.api = api;
  }

  /** Starts the cloud on loopback; a taken port is one clear error. */
  static DemoCloud start(DemoConfig config, String adminToken) {
    CloudConfig cloudConfig =
        CloudConfig.builder(config.cloudDir())
            .host("127.0.0.1")
            .ports(config.cloudPort(), 0)
            .adminToken(adminToken)
            .apiThreads(4)
            .ioThreads(2)
            .drainTimeout(Duration.ofSeconds(5))
            .reconcileInterval(Duration.ofSeconds(1))
            .fleet(FLEET)
            .build();
    CloudServer server;
    try {
      server = CloudServer.start(cloudConfig);
    } catch (Exception e) { // Netty rethrows the bind failure unchecked
      if (portTaken(e)) {
        throw new StrataException(
            ErrorCode.UNAVAILABLE,
            "cloud port "
                + config.cloudPort()
                + " on 127.0.0.1 is in use (pick another with --cloud-port, or 0 for a free one)",
            e);
      }
      throw e;
    }
    return new DemoCloud(server, CloudApiClient.create(server.httpUri(), adminToken));
  }

  /** A bind failure: the JDK's BindException, or Netty's native one (epoll) saying so. */
  private static boolean portTaken(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BindException
          || (t instanceof java.io.IOException
              && t.getMessage() != null
              && t.getMessage().contains("Address already in use"))) {
        return true;
      }
    }
    return false;
  }

  CloudServer server() {
    return server;
  }

  CloudApiClient api() {
    return api;
  }

  /** The deployment's revision number after applying {@code spec}, and whether it is new. */
  record Applied(Deployment deployment, long revision, boolean changed) {}

  /** Applies a spec; the registry makes no new revision for unchanged content. */
  Applied apply(String name, DeploymentSpec spec) {
    Optional<Long> before =
        api.findDeployment(name).flatMap(Deployment::stable).map(r -> r.number());
    Deployment d = api.applyDeployment(name, spec);
    long revision = d.stable().orElseThrow().number();
    return new Applied(d, revision, before.isEmpty() || before.get() != revision);
  }

  /** Waits until the cloud serves {@code model} version {@code version}; fails fast on FAILED. */
  void awaitServing(String model, long version, Clock clock) throws InterruptedException {
    Await.until(
        "the cloud loading " + model + " version " + version,
        Duration.ofSeconds(90),
        clock,
        () -> {
          CloudStatus s = server.status();
          for (CloudStatus.Model m : s.models()) {
            if (m.model().equals(model) && m.version() == version) {
              if (m.state() == LoadState.FAILED) {
                throw new StrataException(
                    ErrorCode.FAILED_PRECONDITION,
                    "the cloud cannot serve "
                        + model
                        + " version "
                        + version
                        + ": "
                        + m.error().orElse("failed"));
              }
              if (m.state() == LoadState.READY) {
                return Optional.of(m);
              }
            }
          }
          return Optional.empty();
        },
        () -> "cloud status: " + server.status().models());
  }

  @Override
  public void close() {
    try {
      api.close();
    } finally {
      server.close();
    }
  }
}
