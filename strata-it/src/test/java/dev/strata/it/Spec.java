package dev.strata.it;

import dev.strata.api.DeploymentSpec;
import dev.strata.api.RolloutStrategy;
import dev.strata.api.Selector;
import dev.strata.api.Target;
import dev.strata.control.ConfidenceMeasure;
import dev.strata.control.HardExamplePolicy;
import dev.strata.control.InferencePolicy;
import java.util.Optional;

/**
 * A {@link DeploymentSpec} built fluently: variant {@code fp32}, every node, all at once and
 * edge-only unless changed.
 */
final class Spec {
  private final String model;
  private final long version;
  private final Target target;
  private Selector selector = Selector.ALL;
  private RolloutStrategy strategy = RolloutStrategy.ALL_AT_ONCE;
  private InferencePolicy policy = InferencePolicy.EDGE_ONLY;
  private String variant = "fp32";

  private Spec(String model, long version, Target target) {
    this.model = model;
    this.version = version;
    this.target = target;
  }

  /** Deploy {@code model} version {@code version} to the edges. */
  static Spec edge(String model, long version) {
    return new Spec(model, version, Target.EDGE);
  }

  /** Serve {@code model} version {@code version} on the cloud itself. */
  static Spec cloud(String model, long version) {
    return new Spec(model, version, Target.CLOUD);
  }

  /** Deploy this variant of the version (default: fp32). */
  Spec variant(String name) {
    variant = name;
    return this;
  }

  Spec selector(String value) {
    selector = Selector.parse(value);
    return this;
  }

  /** Escalate to {@code cloudModel} when the edge's top probability is below {@code threshold}. */
  Spec cascade(String cloudModel, double threshold) {
    policy =
        new InferencePolicy.Cascade(
            ConfidenceMeasure.MAX_PROBABILITY, threshold, Optional.of(cloudModel));
    return this;
  }

  /**
   * A canary on {@code percent} of the nodes, judged by load failures and by the error rate over
   * {@code maxErrorRate} after {@code minRequests}; promoted after {@code promoteAfterHeartbeats}
   * healthy heartbeats (0: by hand).
   */
  Spec canary(int percent, int promoteAfterHeartbeats, double maxErrorRate, int minRequests) {
    strategy =
        new RolloutStrategy.Canary(percent, promoteAfterHeartbeats, maxErrorRate, minRequests);
    return this;
  }

  DeploymentSpec spec() {
    return new DeploymentSpec(
        model, version, variant, target, selector, strategy, policy, HardExamplePolicy.DISABLED);
  }

  @Override
  public String toString() {
    return spec().toString();
  }
}
