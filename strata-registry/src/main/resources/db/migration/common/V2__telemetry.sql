-- Interval telemetry that edge nodes report with their heartbeats (dev.strata.control.TelemetryRecord),
-- kept for a bounded time (RegistryConfig.telemetry().retention(), pruned by received_at).
-- A record is identified by its node, the enrollment of the node that numbered it (enrolled_at in
-- epoch ms: a node enrolled anew, its data wiped, numbers from 1 again) and its sequence, so a
-- record sent twice (its heartbeat's answer lost) is stored once. No foreign key to nodes: a
-- deployment's history keeps the intervals of nodes removed since, until retention drops them.
-- latency is the histogram as JSON: {"boundsMicros": [...], "counts": [...], "sumMicros", "maxMicros"}.

CREATE TABLE telemetry (
  node_id       TEXT NOT NULL,
  enrollment    BIGINT NOT NULL,
  seq           BIGINT NOT NULL,
  deployment    TEXT NOT NULL,
  revision      BIGINT NOT NULL,
  start_at      BIGINT NOT NULL,
  end_at        BIGINT NOT NULL,
  requests      BIGINT NOT NULL,
  errors        BIGINT NOT NULL,
  escalations   BIGINT NOT NULL,
  fallbacks     BIGINT NOT NULL,
  latency       TEXT NOT NULL,
  received_at   BIGINT NOT NULL,
  PRIMARY KEY (node_id, enrollment, seq)
);
CREATE INDEX telemetry_deployment ON telemetry (deployment, end_at);
CREATE INDEX telemetry_node ON telemetry (node_id, end_at);
CREATE INDEX telemetry_received ON telemetry (received_at);
