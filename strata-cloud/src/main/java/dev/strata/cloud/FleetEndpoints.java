package dev.strata.cloud;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.strata.api.CreateEnrollmentTokenRequest;
import dev.strata.api.IssuedEnrollmentToken;
import dev.strata.api.Selector;
import dev.strata.registry.deploy.DeploymentService;
import dev.strata.registry.fleet.FleetService;
import java.util.List;
import java.util.Map;

/** Enrollment tokens and the nodes of the fleet, as management sees them. */
final class FleetEndpoints {
  private final FleetService fleet;
  private final DeploymentService deployments;

  FleetEndpoints(FleetService fleet, DeploymentService deployments) {
    this.fleet = fleet;
    this.deployments = deployments;
  }

  List<Endpoint> endpoints() {
    return List.of(
        new Endpoint(
            "POST",
            "/api/v1/enrollment-tokens",
            Access.ADMIN,
            false,
            "Create a one-time enrollment token (shown once)",
            r -> {
              IssuedEnrollmentToken t =
                  fleet.createEnrollmentToken(r.json(CreateEnrollmentTokenRequest.class));
              return Responses.created(t, "/api/v1/enrollment-tokens/" + t.info().id());
            }),
        new Endpoint(
            "GET",
            "/api/v1/enrollment-tokens",
            Access.ADMIN,
            false,
            "List enrollment tokens (never their secrets)",
            r -> Responses.items(fleet.enrollmentTokens())),
        new Endpoint(
            "DELETE",
            "/api/v1/enrollment-tokens/{id}",
            Access.ADMIN,
            false,
            "Delete an enrollment token",
            r -> {
              fleet.deleteEnrollmentToken(r.param("id"));
              return Responses.noContent();
            }),
        new Endpoint(
            "GET",
            "/api/v1/nodes",
            Access.VIEWER,
            false,
            "List nodes, filtered with ?selector=",
            r -> Responses.items(fleet.nodes(Selector.parse(r.query("selector").orElse(""))))),
        new Endpoint(
            "GET",
            "/api/v1/nodes:summary",
            Access.VIEWER,
            false,
            "Node counts by liveness",
            r -> Responses.ok(fleet.summary())),
        new Endpoint(
            "GET",
            "/api/v1/nodes/{id}",
            Access.VIEWER,
            false,
            "A node's actual state next to its desired state",
            r -> Responses.ok(deployments.nodeView(r.param("id")))),
        new Endpoint(
            "PUT",
            "/api/v1/nodes/{id}/labels",
            Access.ADMIN,
            false,
            "Replace a node's labels",
            r -> {
              byte[] body = r.bytes();
              Map<String, String> labels = body.length == 0 ? Map.of() : parseLabels(body);
              return Responses.ok(fleet.updateLabels(r.param("id"), labels));
            }),
        new Endpoint(
            "DELETE",
            "/api/v1/nodes/{id}",
            Access.ADMIN,
            false,
            "Remove a node and revoke its credential",
            r -> {
              fleet.deleteNode(r.param("id"));
              return Responses.noContent();
            }));
  }

  private static Map<String, String> parseLabels(byte[] body) {
    return ApiRequest.parse(body, new TypeReference<Map<String, String>>() {}, "labels");
  }
}
