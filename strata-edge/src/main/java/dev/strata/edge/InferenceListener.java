package dev.strata.edge;

import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;

/**
 * Told of every request to a deployed model (telemetry) and of every escalation the cloud answered
 * (hard examples). Called on the thread that completed the request: implementations must be quick
 * and must not throw.
 */
public interface InferenceListener {
  InferenceListener NONE = new InferenceListener() {};

  /** A request of {@code deployment} finished. */
  default void completed(EdgeDeployment deployment, InferenceOutcome outcome) {}

  /**
   * The cascade escalated {@code request} because the edge was not confident, and the cloud
   * answered: a hard example.
   */
  default void escalated(
      EdgeDeployment deployment,
      InferenceRequest request,
      InferenceResponse edgeAnswer,
      InferenceResponse cloudAnswer) {}

  /** Both, in order. */
  static InferenceListener both(InferenceListener first, InferenceListener second) {
    return new InferenceListener() {
      @Override
      public void completed(EdgeDeployment deployment, InferenceOutcome outcome) {
        first.completed(deployment, outcome);
        second.completed(deployment, outcome);
      }

      @Override
      public void escalated(
          EdgeDeployment deployment,
          InferenceRequest request,
          InferenceResponse edgeAnswer,
          InferenceResponse cloudAnswer) {
        first.escalated(deployment, request, edgeAnswer, cloudAnswer);
        second.escalated(deployment, request, edgeAnswer, cloudAnswer);
      }
    };
  }
}
