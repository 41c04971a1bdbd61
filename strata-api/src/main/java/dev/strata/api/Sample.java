package dev.strata.api;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/** A stored hard example; its input is {@code GET /api/v1/samples/{id}/input}. */
public record Sample(
    String id,
    String deployment,
    String nodeId,
    String model,
    long version,
    String inputSha256,
    long inputSize,
    String contentType,
    JsonNode edgeAnswer,
    JsonNode cloudAnswer,
    Instant createdAt) {
  public Sample {
    requireNonNull(id, "id");
    requireNonNull(deployment, "deployment");
    requireNonNull(nodeId, "nodeId");
    requireNonNull(model, "model");
    requireNonNull(inputSha256, "inputSha256");
    requireNonNull(contentType, "contentType");
    edgeAnswer = requireNonNull(edgeAnswer, "edgeAnswer").deepCopy();
    cloudAnswer = requireNonNull(cloudAnswer, "cloudAnswer").deepCopy();
    requireNonNull(createdAt, "createdAt");
  }
}
