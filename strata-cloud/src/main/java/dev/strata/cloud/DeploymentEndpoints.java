package dev.strata.cloud;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.strata.api.Deployment;
import dev.strata.api.DeploymentSpec;
import dev.strata.api.Target;
import dev.strata.control.Json;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.registry.deploy.DeploymentService;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /api/v1/deployments}: desired state, its revisions and rollouts; and the cloud's own
 * deployments next to what it serves. Every change tells the cloud's deployer, so a cloud
 * deployment starts loading at once.
 */
final class DeploymentEndpoints {
  private static final Logger LOG = LoggerFactory.getLogger(DeploymentEndpoints.class);

  private final DeploymentService deployments;
  private final CloudDeployer deployer;

  DeploymentEndpoints(DeploymentService deployments, CloudDeployer deployer) {
    this.deployments = deployments;
    this.deployer = deployer;
  }

  /** {@code POST /api/v1/deployments/{name}:rollback}. */
  record RollbackRequest(Optional<String> reason) {
    RollbackRequest {
      reason = reason == null ? Optional.empty() : reason;
    }
  }

  List<Endpoint> endpoints() {
    String one = "/api/v1/deployments/{name}";
    return List.of(
        new Endpoint(
            "PUT",
            one,
            Access.DEPLOYER,
            false,
            "Create a deployment or roll out a new revision of it",
            r -> {
              String name = r.param("name");
              DeploymentSpec spec = spec(r);
              boolean exists = exists(name);
              Deployment d = deployments.apply(name, spec);
              deployer.nudge();
              ObjectNode body = Json.mapper().valueToTree(d);
              ArrayNode warnings = body.putArray("warnings");
              for (String w : overlaps(d)) {
                LOG.warn("deployment {}: {}", d.name(), w);
                warnings.add(w);
              }
              return exists
                  ? Responses.ok(body)
                  : Responses.created(body, "/api/v1/deployments/" + d.name());
            }),
        new Endpoint(
            "GET",
            "/api/v1/deployments",
            Access.VIEWER,
            false,
            "List deployments",
            r -> Responses.items(deployments.list())),
        new Endpoint(
            "GET",
            one,
            Access.VIEWER,
            false,
            "A deployment",
            r -> Responses.ok(deployments.get(r.param("name")))),
        new Endpoint(
            "DELETE",
            one,
            Access.DEPLOYER,
            false,
            "Remove a deployment; its nodes (or the cloud) stop running it",
            r -> {
              deployments.delete(r.param("name"));
              deployer.nudge();
              return Responses.noContent();
            }),
        new Endpoint(
            "GET",
            one + "/revisions",
            Access.VIEWER,
            false,
            "A deployment's revisions, newest first",
            r -> Responses.items(deployments.history(r.param("name")))),
        new Endpoint(
            "POST",
            one + ":promote",
            Access.DEPLOYER,
            false,
            "Promote the canary revision to every node",
            r -> {
              Deployment d = deployments.promote(r.param("name"));
              deployer.nudge();
              return Responses.ok(d);
            }),
        new Endpoint(
            "POST",
            one + ":rollback",
            Access.DEPLOYER,
            false,
            "Abort the canary, or return to the previous revision",
            r -> {
              RollbackRequest body =
                  r.jsonOr(RollbackRequest.class, new RollbackRequest(Optional.empty()));
              String reason =
                  body.reason().orElse("rolled back by " + r.principal().id() + " through the API");
              Deployment d = deployments.rollback(r.param("name"), reason);
              deployer.nudge();
              return Responses.ok(d);
            }),
        new Endpoint(
            "GET",
            one + "/status",
            Access.VIEWER,
            false,
            "Each matching node's desired and actual revision",
            r -> Responses.ok(deployments.status(r.param("name")))),
        new Endpoint(
            "GET",
            "/api/v1/cloud/desired-state",
            Access.VIEWER,
            false,
            "What the cloud itself should serve",
            r -> Responses.ok(deployments.desiredStateForCloud())),
        new Endpoint(
            "GET",
            "/api/v1/cloud/status",
            Access.VIEWER,
            false,
            "What the cloud serves, next to its desired state",
            r -> Responses.ok(deployer.status())));
  }

  /**
   * The spec of a PUT, with the documented defaults for what it leaves out: every node ({@code
   * selector: ""}), {@code all-at-once}, {@code edge-only}, hard examples off.
   */
  static DeploymentSpec spec(ApiRequest r) {
    com.fasterxml.jackson.databind.node.ObjectNode body =
        r.json(com.fasterxml.jackson.databind.node.ObjectNode.class);
    var json = Json.mapper();
    if (!body.hasNonNull("selector")) {
      body.put("selector", "");
    }
    if (!body.hasNonNull("strategy")) {
      body.set("strategy", json.createObjectNode().put("type", "all-at-once"));
    }
    if (!body.hasNonNull("policy")) {
      body.set("policy", json.createObjectNode().put("type", "edge-only"));
    }
    if (!body.hasNonNull("hardExamples")) {
      body.set(
          "hardExamples",
          json.createObjectNode()
              .put("enabled", false)
              .put("maxTotalBytes", 0)
              .put("maxSampleBytes", 0));
    }
    return ApiRequest.parse(Json.writeBytes(body), DeploymentSpec.class);
  }

  /**
   * Other EDGE deployments of the same model whose selector can match a node this one's can: such a
   * node serves only one of them (the first applied), so the other does not reach it.
   */
  private List<String> overlaps(Deployment d) {
    if (d.target() != Target.EDGE) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (Deployment other : deployments.list()) {
      if (!other.name().equals(d.name())
          && other.target() == Target.EDGE
          && other.model().equals(d.model())
          && other.selector().overlaps(d.selector())) {
        out.add(
            String.format(
                "selector '%s' overlaps deployment %s (selector '%s') of the same model %s: a node"
                    + " both select runs only one of them (expected: disjoint selectors, e.g."
                    + " site=a and site!=a)",
                d.selector(), other.name(), other.selector(), d.model()));
      }
    }
    return out;
  }

  private boolean exists(String name) {
    try {
      deployments.get(name);
      return true;
    } catch (StrataException e) {
      if (e.code() == ErrorCode.NOT_FOUND) {
        return false;
      }
      throw e;
    }
  }
}
