package dev.strata.core;

import static java.util.Objects.requireNonNull;

/** The declared name, datatype and shape of a model input or output; -1 marks a dynamic axis. */
public record TensorSpec(String name, DataType datatype, Shape shape) {
  public TensorSpec {
    requireNonNull(name, "name");
    requireNonNull(datatype, "datatype");
    requireNonNull(shape, "shape");
    if (name.isEmpty()) {
      throw StrataException.invalid("tensor spec: empty name");
    }
  }
}
