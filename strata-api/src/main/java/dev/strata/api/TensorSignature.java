package dev.strata.api;

import static java.util.Objects.requireNonNull;

import dev.strata.core.DataType;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.core.TensorSpec;
import java.util.List;

/**
 * One input or output of a model as the registry records it: the Open Inference Protocol's tensor
 * metadata ({@code name}, {@code datatype} such as {@code FP32}, {@code shape} with -1 for dynamic
 * axes).
 */
public record TensorSignature(String name, String datatype, List<Long> shape) {
  public TensorSignature {
    requireNonNull(name, "name");
    requireNonNull(datatype, "datatype");
    shape = List.copyOf(shape);
    if (name.isEmpty()) {
      throw StrataException.invalid("tensor signature: empty name");
    }
    DataType.fromWireName(datatype);
    for (long d : shape) {
      if (d < -1) {
        throw StrataException.invalid("tensor %s shape: %s (expected: dims >= -1)", name, shape);
      }
    }
  }

  public static TensorSignature of(TensorSpec spec) {
    long[] dims = spec.shape().toArray();
    return new TensorSignature(
        spec.name(), spec.datatype().wireName(), java.util.Arrays.stream(dims).boxed().toList());
  }

  public TensorSpec toTensorSpec() {
    return new TensorSpec(name, DataType.fromWireName(datatype), Shape.of(shape));
  }
}
