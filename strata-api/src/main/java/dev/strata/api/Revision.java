package dev.strata.api;

import static java.util.Objects.requireNonNull;

import dev.strata.control.HardExamplePolicy;
import dev.strata.control.InferencePolicy;
import java.time.Instant;

/**
 * One immutable step in a deployment's history: a model version, variant and policies.
 *
 * @param number 1, 2, 3... within the deployment
 * @param reason why it last changed status (e.g. the automatic rollback's cause)
 */
public record Revision(
    long number,
    String model,
    long version,
    String variant,
    RolloutStrategy strategy,
    InferencePolicy policy,
    HardExamplePolicy hardExamples,
    RevisionStatus status,
    String reason,
    Instant createdAt,
    Instant updatedAt) {
  public Revision {
    requireNonNull(model, "model");
    requireNonNull(variant, "variant");
    requireNonNull(strategy, "strategy");
    requireNonNull(policy, "policy");
    requireNonNull(hardExamples, "hardExamples");
    requireNonNull(status, "status");
    requireNonNull(reason, "reason");
    requireNonNull(createdAt, "createdAt");
    requireNonNull(updatedAt, "updatedAt");
  }

  /** Whether this revision runs the same thing as {@code spec} asks for. */
  public boolean sameContentAs(DeploymentSpec spec) {
    return version == spec.version()
        && variant.equals(spec.variant())
        && policy.equals(spec.policy())
        && hardExamples.equals(spec.hardExamples());
  }
}
