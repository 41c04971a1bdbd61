/**
 * The cloud composition root: {@link dev.strata.cloud.CloudServer} runs the registry's management
 * and node API ({@code /api/v1}, docs/api.md) and serves the models deployed to the cloud over the
 * Open Inference Protocol, keeping them equal to the cloud's deployments; {@link
 * dev.strata.cloud.CloudCommand} is {@code strata cloud}. Everything else here is package-private.
 */
package dev.strata.cloud;
