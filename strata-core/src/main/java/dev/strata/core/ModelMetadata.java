package dev.strata.core;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Map;

/**
 * What a server says of one model (and, where a version was named, that version): the shape of the
 * Open Inference Protocol's model metadata response.
 *
 * @param name the model name
 * @param versions the versions the server has for it, as strings
 * @param platform the backend, e.g. {@code onnxruntime_onnx}
 * @param inputs the inputs; when the model batches ({@code max_batch_size > 0}) each shape starts
 *     with the batch dimension as -1, as Triton reports it
 * @param outputs the outputs, likewise
 * @param parameters free-form metadata (e.g. {@code max_batch_size}, labels, provenance)
 */
public record ModelMetadata(
    String name,
    List<String> versions,
    String platform,
    List<TensorSpec> inputs,
    List<TensorSpec> outputs,
    Map<String, Object> parameters) {
  public ModelMetadata {
    requireNonNull(name, "name");
    versions = List.copyOf(versions);
    requireNonNull(platform, "platform");
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
    parameters = Map.copyOf(parameters);
  }
}
