package dev.strata.api;

import java.util.List;

/** The inputs and outputs of a model variant. Empty lists where the uploader did not say. */
public record ModelSignature(List<TensorSignature> inputs, List<TensorSignature> outputs) {
  public static final ModelSignature UNKNOWN = new ModelSignature(List.of(), List.of());

  public ModelSignature {
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
  }
}
