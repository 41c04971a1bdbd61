package dev.strata.control;

import static java.util.Objects.requireNonNull;

/**
 * One model a node (or the cloud) should run: what to fetch ({@code GET
 * /api/v1/artifacts/{sha256}}), the signed manifest to verify it against, and the policies to run
 * it with.
 */
public record DesiredModel(
    String deployment,
    long revision,
    boolean canary,
    String model,
    long version,
    String variant,
    String format,
    String sha256,
    long size,
    SignedManifest manifest,
    InferencePolicy policy,
    HardExamplePolicy hardExamples) {
  public DesiredModel {
    requireNonNull(deployment, "deployment");
    requireNonNull(model, "model");
    requireNonNull(variant, "variant");
    requireNonNull(format, "format");
    requireNonNull(sha256, "sha256");
    requireNonNull(manifest, "manifest");
    requireNonNull(policy, "policy");
    requireNonNull(hardExamples, "hardExamples");
  }
}
