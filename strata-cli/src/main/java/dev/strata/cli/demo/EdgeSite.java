package dev.strata.cli.demo;

import static java.util.Objects.requireNonNull;

import dev.strata.api.CloudApiClient;
import dev.strata.api.CreateEnrollmentTokenRequest;
import dev.strata.core.AtomicFiles;
import dev.strata.edge.EdgeAgent;
import dev.strata.edge.EdgeConfig;
import dev.strata.serving.ServingConfig;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * One of the demo's edge nodes: its name, labels and data directory. {@link #start} enrolls it with
 * a fresh one-time token the first time; later runs find its credential in the data directory.
 *
 * @param name the node name, e.g. {@code demo-edge-a}
 * @param labels the labels its enrollment token gives it, e.g. {@code site=a}
 * @param dataDir the agent's data directory
 */
record EdgeSite(String name, Map<String, String> labels, Path dataDir) {
  EdgeSite {
    requireNonNull(name, "name");
    labels = Map.copyOf(labels);
    requireNonNull(dataDir, "dataDir");
  }

  /**
   * Starts the agent on free loopback ports. An edge directory whose node the registry does not
   * know (a registry made anew beside old edge directories) is cleared and enrolled again.
   */
  EdgeAgent start(CloudApiClient cloud, URI cloudUrl, Duration pollInterval) throws IOException {
    boolean enrolled = Files.isRegularFile(dataDir.resolve("node.json"));
    if (enrolled && cloud.nodes().stream().noneMatch(n -> n.name().equals(name))) {
      AtomicFiles.deleteTree(dataDir);
      enrolled = false;
    }
    EdgeConfig.Builder b =
        EdgeConfig.builder(cloudUrl)
            .dataDir(dataDir)
            .nodeName(name)
            .labels(labels)
            .serving(ServingConfig.defaults().withPorts(0, 0))
            .pollInterval(pollInterval);
    if (!enrolled) {
      b.enrollToken(
          cloud
              .createEnrollmentToken(
                  // issued for this node: it also re-enrolls a node the registry still knows
                  new CreateEnrollmentTokenRequest(
                      "strata demo: " + name,
                      labels,
                      Optional.of(Duration.ofHours(1)),
                      Optional.of(name)))
              .token());
    }
    return EdgeAgent.start(b.build());
  }
}
