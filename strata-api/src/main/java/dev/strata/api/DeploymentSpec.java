package dev.strata.api;

import static java.util.Objects.requireNonNull;

import dev.strata.control.HardExamplePolicy;
import dev.strata.control.InferencePolicy;
import dev.strata.control.Names;
import dev.strata.core.StrataException;

/**
 * {@code PUT /api/v1/deployments/{name}}: what should run where. Applying a spec to an existing
 * deployment rolls out a new revision when the model version, variant or a policy changed; the
 * selector takes effect at once.
 *
 * @param model the model (fixed for the life of a deployment)
 * @param version the model version
 * @param variant the variant of that version
 * @param target the cloud or edge nodes (fixed for the life of a deployment)
 * @param selector which edge nodes; ignored for the cloud
 * @param strategy how the revision rolls out (edge only; the cloud takes it at once)
 * @param policy collaborative-inference policy (edge only)
 * @param hardExamples hard-example upload settings (edge only)
 */
public record DeploymentSpec(
    String model,
    long version,
    String variant,
    Target target,
    Selector selector,
    RolloutStrategy strategy,
    InferencePolicy policy,
    HardExamplePolicy hardExamples) {
  public DeploymentSpec {
    Names.requireName(model, "model");
    Names.requireName(variant, "variant");
    requireNonNull(target, "target");
    requireNonNull(selector, "selector");
    requireNonNull(strategy, "strategy");
    requireNonNull(policy, "policy");
    requireNonNull(hardExamples, "hardExamples");
    if (version < 1) {
      throw StrataException.invalid("version: %d (expected: >= 1)", version);
    }
    if (target == Target.CLOUD) {
      if (!(strategy instanceof RolloutStrategy.AllAtOnce)) {
        throw StrataException.invalid(
            "strategy: canary (expected: all-at-once for a cloud deployment)");
      }
      if (!(policy instanceof InferencePolicy.EdgeOnly)) {
        throw StrataException.invalid(
            "policy: %s (expected: edge-only, the default, for a cloud deployment: policies steer edges)",
            policy);
      }
      if (hardExamples.enabled()) {
        throw StrataException.invalid(
            "hardExamples: enabled (expected: disabled for a cloud deployment; edges upload them)");
      }
    }
  }

  /** An edge deployment rolled out at once, answering on the edge only. */
  public static DeploymentSpec edge(String model, long version, String variant, Selector selector) {
    return new DeploymentSpec(
        model,
        version,
        variant,
        Target.EDGE,
        selector,
        RolloutStrategy.ALL_AT_ONCE,
        InferencePolicy.EDGE_ONLY,
        HardExamplePolicy.DISABLED);
  }

  /** A deployment on the cloud itself. */
  public static DeploymentSpec cloud(String model, long version, String variant) {
    return new DeploymentSpec(
        model,
        version,
        variant,
        Target.CLOUD,
        Selector.ALL,
        RolloutStrategy.ALL_AT_ONCE,
        InferencePolicy.EDGE_ONLY,
        HardExamplePolicy.DISABLED);
  }

  public DeploymentSpec withStrategy(RolloutStrategy s) {
    return new DeploymentSpec(model, version, variant, target, selector, s, policy, hardExamples);
  }

  public DeploymentSpec withPolicy(InferencePolicy p) {
    return new DeploymentSpec(model, version, variant, target, selector, strategy, p, hardExamples);
  }

  public DeploymentSpec withHardExamples(HardExamplePolicy h) {
    return new DeploymentSpec(model, version, variant, target, selector, strategy, policy, h);
  }

  public DeploymentSpec withVersion(long v, String variantName) {
    return new DeploymentSpec(
        model, v, variantName, target, selector, strategy, policy, hardExamples);
  }
}
