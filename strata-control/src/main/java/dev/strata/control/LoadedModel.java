package dev.strata.control;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * One model a node reports: what it runs and in which state.
 *
 * @param deployment the deployment that asked for it; empty for a model loaded by hand
 * @param revision the deployment revision it belongs to (0 without a deployment)
 * @param model the model name
 * @param version the model version
 * @param variant the variant
 * @param state where loading is
 * @param error why it failed, when {@code state} is {@link LoadState#FAILED}
 */
public record LoadedModel(
    Optional<String> deployment,
    long revision,
    String model,
    long version,
    String variant,
    LoadState state,
    Optional<String> error) {
  public LoadedModel {
    requireNonNull(deployment, "deployment");
    requireNonNull(model, "model");
    requireNonNull(variant, "variant");
    requireNonNull(state, "state");
    requireNonNull(error, "error");
    error = error.map(e -> e.length() > 1024 ? e.substring(0, 1024) : e);
  }
}
