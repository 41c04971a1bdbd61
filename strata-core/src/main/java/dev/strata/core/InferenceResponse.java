package dev.strata.core;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A transport-independent inference response. */
public record InferenceResponse(
    String model, String version, String id, List<Tensor> outputs, Map<String, Object> parameters) {
  public InferenceResponse {
    requireNonNull(model, "model");
    requireNonNull(version, "version");
    requireNonNull(id, "id");
    outputs = List.copyOf(outputs);
    parameters = Map.copyOf(parameters);
  }

  public Optional<Tensor> output(String name) {
    for (Tensor t : outputs) {
      if (t.name().equals(name)) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }
}
