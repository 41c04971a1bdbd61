package dev.strata.it;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A {@code DeploymentSpec} as JSON (docs/api.md, "Deployments"), built fluently: variant {@code
 * fp32}, every node, all at once and edge-only unless changed.
 */
final class Spec {
  private final Map<String, Object> json = new LinkedHashMap<>();

  private Spec(String model, long version, String target) {
    json.put("model", model);
    json.put("version", version);
    json.put("variant", "fp32");
    json.put("target", target);
  }

  /** Deploy {@code model} version {@code version} to the edges. */
  static Spec edge(String model, long version) {
    return new Spec(model, version, "EDGE");
  }

  /** Serve {@code model} version {@code version} on the cloud itself. */
  static Spec cloud(String model, long version) {
    return new Spec(model, version, "CLOUD");
  }

  Spec selector(String selector) {
    json.put("selector", selector);
    return this;
  }

  /** Escalate to {@code cloudModel} when the edge's top probability is below {@code threshold}. */
  Spec cascade(String cloudModel, double threshold) {
    json.put(
        "policy",
        Map.of(
            "type",
            "cascade",
            "measure",
            "MAX_PROBABILITY",
            "threshold",
            threshold,
            "cloudModel",
            cloudModel));
    return this;
  }

  /**
   * A canary on {@code percent} of the nodes, judged by load failures and by the error rate over
   * {@code maxErrorRate} after {@code minRequests}; promoted after {@code promoteAfterHeartbeats}
   * healthy heartbeats (0: by hand).
   */
  Spec canary(int percent, int promoteAfterHeartbeats, double maxErrorRate, int minRequests) {
    json.put(
        "strategy",
        Map.of(
            "type",
            "canary",
            "percent",
            percent,
            "promoteAfterHeartbeats",
            promoteAfterHeartbeats,
            "maxErrorRate",
            maxErrorRate,
            "minRequests",
            minRequests));
    return this;
  }

  Map<String, Object> json() {
    return Collections.unmodifiableMap(new LinkedHashMap<>(json));
  }

  @Override
  public String toString() {
    return ManagementClient.write(json);
  }
}
