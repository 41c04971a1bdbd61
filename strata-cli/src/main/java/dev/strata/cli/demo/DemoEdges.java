package dev.strata.cli.demo;

import dev.strata.api.CloudApiClient;
import dev.strata.api.DeploymentStatus;
import dev.strata.api.Node;
import dev.strata.api.NodeRollout;
import dev.strata.control.LoadState;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.edge.EdgeAgent;
import dev.strata.edge.EdgeDeployment;
import dev.strata.protocol.client.ClientConfig;
import dev.strata.protocol.client.StrataClient;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The demo's edge agents, in this process, with a REST client of each. */
final class DemoEdges implements AutoCloseable {
  private final List<EdgeSite> sites;
  private final List<EdgeAgent> agents;
  private final List<StrataClient> clients;

  private DemoEdges(List<EdgeSite> sites, List<EdgeAgent> agents, List<StrataClient> clients) {
    this.sites = sites;
    this.agents = agents;
    this.clients = clients;
  }

  /** Starts every site's agent (enrolling those not enrolled yet). */
  static DemoEdges start(List<EdgeSite> sites, CloudApiClient cloud, URI cloudUrl)
      throws IOException {
    List<EdgeAgent> agents = new ArrayList<>();
    List<StrataClient> clients = new ArrayList<>();
    try {
      for (EdgeSite site : sites) {
        EdgeAgent agent = site.start(cloud, cloudUrl, Duration.ofSeconds(1));
        agents.add(agent);
        clients.add(
            StrataClient.rest(
                ClientConfig.of("127.0.0.1", agent.httpPort())
                    .withTimeout(Duration.ofSeconds(30))));
      }
    } catch (IOException | RuntimeException e) {
      new DemoEdges(sites, agents, clients).close();
      throw e;
    }
    return new DemoEdges(List.copyOf(sites), List.copyOf(agents), List.copyOf(clients));
  }

  List<EdgeSite> sites() {
    return sites;
  }

  List<EdgeAgent> agents() {
    return agents;
  }

  List<StrataClient> clients() {
    return clients;
  }

  /**
   * Waits until every edge serves {@code revision} of the deployment: the cloud's status says each
   * node reports it READY in a heartbeat sent after {@code since}, and each agent here has it in
   * place and its model ready. Fails at once when a node reports it FAILED.
   */
  void awaitDeployed(
      CloudApiClient cloud,
      String deployment,
      String model,
      long revision,
      Instant since,
      Clock clock)
      throws InterruptedException {
    Await.until(
        "both edges loading " + deployment + " revision " + revision,
        Duration.ofSeconds(90),
        clock,
        () -> {
          DeploymentStatus s = cloud.deploymentStatus(deployment);
          for (NodeRollout n : s.nodes()) {
            n.actual()
                .filter(a -> a.revision() == revision && a.state() == LoadState.FAILED)
                .ifPresent(
                    a -> {
                      throw new StrataException(
                          ErrorCode.FAILED_PRECONDITION,
                          "edge "
                              + n.nodeName()
                              + " cannot serve "
                              + deployment
                              + ": "
                              + a.error().orElse("failed"));
                    });
          }
          boolean reported =
              s.inSync() == agents.size()
                  && s.nodes().stream()
                      .allMatch(n -> n.inSync() && n.desired().orElse(-1L) == revision)
                  && cloud.nodes().stream()
                      .filter(n -> sites.stream().anyMatch(site -> site.name().equals(n.name())))
                      .allMatch(n -> n.lastHeartbeatAt().filter(t -> t.isAfter(since)).isPresent());
          boolean local = true;
          for (EdgeAgent a : agents) {
            EdgeDeployment d = a.service().deployments().get(model);
            local &=
                d != null
                    && d.revision() == revision
                    && a.service().modelReady(model, Optional.empty());
          }
          return reported && local ? Optional.of(s) : Optional.empty();
        },
        () -> {
          List<String> states = new ArrayList<>();
          for (Node n : cloud.nodes()) {
            states.add(n.name() + " " + n.state());
          }
          return "nodes: " + states + ", status: " + cloud.deploymentStatus(deployment).nodes();
        });
  }

  @Override
  public void close() {
    for (StrataClient c : clients) {
      c.close();
    }
    for (EdgeAgent a : agents.reversed()) {
      a.close();
    }
  }
}
