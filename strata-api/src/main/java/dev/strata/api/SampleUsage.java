package dev.strata.api;

/**
 * {@code GET /api/v1/deployments/{name}/samples:usage}: how many hard examples a deployment has.
 *
 * @param samples the number of samples
 * @param bytes their input bytes
 */
public record SampleUsage(long samples, long bytes) {}
