/**
 * The interval telemetry edge nodes report with their heartbeats: stored once per record (a record
 * sent again is ignored), kept for a bounded time, and queried per node or aggregated per
 * deployment (counters, escalation share, latency percentiles from the merged histograms, records
 * lost to full edge buffers).
 */
package dev.strata.registry.telemetry;
