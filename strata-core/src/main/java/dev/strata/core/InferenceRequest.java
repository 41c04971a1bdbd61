package dev.strata.core;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A transport-independent inference request.
 *
 * @param model the model name
 * @param version the version; empty lets the server choose (the newest ready version)
 * @param id the client's request id, echoed in the response; may be empty
 * @param inputs the input tensors, batch dimension first when the model batches
 * @param outputs the outputs asked for; empty means all of them, as raw tensors
 * @param parameters request parameters, passed through
 * @param timeout how long the request may wait and run; empty uses the model's default
 */
public record InferenceRequest(
    String model,
    Optional<String> version,
    String id,
    List<Tensor> inputs,
    List<OutputRequest> outputs,
    Map<String, Object> parameters,
    Optional<Duration> timeout) {
  public InferenceRequest {
    requireNonNull(model, "model");
    requireNonNull(version, "version");
    requireNonNull(id, "id");
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
    parameters = Map.copyOf(parameters);
    requireNonNull(timeout, "timeout");
  }

  /** This request with other inputs. */
  public InferenceRequest withInputs(List<Tensor> newInputs) {
    return new InferenceRequest(model, version, id, newInputs, outputs, parameters, timeout);
  }

  /** A request for all outputs of the newest version, without id, parameters or timeout. */
  public static InferenceRequest of(String model, List<Tensor> inputs) {
    return new InferenceRequest(
        model, Optional.empty(), "", inputs, List.of(), Map.of(), Optional.empty());
  }
}
