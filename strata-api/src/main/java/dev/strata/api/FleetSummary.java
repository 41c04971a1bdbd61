package dev.strata.api;

/**
 * {@code GET /api/v1/nodes:summary}: node counts by liveness.
 *
 * @param total every enrolled node
 * @param online nodes heard from within the fleet's {@code staleAfter}
 * @param stale nodes silent for longer, up to {@code offlineAfter}
 * @param offline nodes silent for longer than {@code offlineAfter}
 */
public record FleetSummary(int total, int online, int stale, int offline) {}
