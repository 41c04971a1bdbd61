package dev.strata.edge;

import static java.util.Objects.requireNonNull;

import dev.strata.control.DesiredModel;
import dev.strata.control.HardExamplePolicy;
import dev.strata.control.InferencePolicy;

/**
 * One deployment as the edge serves it: which model answers for it, and how the work is shared with
 * the cloud.
 *
 * @param deployment the deployment name
 * @param revision the deployment revision
 * @param model the local model name (what clients of the edge ask for)
 * @param version the model version being served
 * @param policy the collaborative-inference policy
 * @param hardExamples whether and how escalated inputs are uploaded
 */
public record EdgeDeployment(
    String deployment,
    long revision,
    String model,
    long version,
    InferencePolicy policy,
    HardExamplePolicy hardExamples) {
  public EdgeDeployment {
    requireNonNull(deployment, "deployment");
    requireNonNull(model, "model");
    requireNonNull(policy, "policy");
    requireNonNull(hardExamples, "hardExamples");
  }

  public static EdgeDeployment of(DesiredModel m) {
    return new EdgeDeployment(
        m.deployment(), m.revision(), m.model(), m.version(), m.policy(), m.hardExamples());
  }

  /** The cloud model a policy sends work to: the one it names, else the same name as here. */
  public String cloudModel() {
    return switch (policy) {
      case InferencePolicy.CloudOnly c -> c.cloudModel().orElse(model);
      case InferencePolicy.Cascade c -> c.cloudModel().orElse(model);
      case InferencePolicy.OffloadWhenBusy o -> o.cloudModel().orElse(model);
      case InferencePolicy.EdgeOnly e -> model;
    };
  }
}
