/**
 * The edge agent ({@link dev.strata.edge.EdgeAgent}, configured by {@link
 * dev.strata.edge.EdgeConfig}, run by {@code strata edge}): enrollment, heartbeats, desired state,
 * verified downloads and hot swaps, edge autonomy from the data directory, buffered telemetry and
 * hard examples; and collaborative inference ({@link
 * dev.strata.edge.CollaborativeInferenceService}) with the cloud per deployment policy.
 */
package dev.strata.edge;
