package dev.strata.core;

import static java.util.Objects.requireNonNull;

import java.util.Map;

/**
 * One output a client asks for.
 *
 * @param name the output's name
 * @param classification when {@code > 0}, return the top-k classes as BYTES {@code
 *     "score:index[:label]"} strings instead of the raw tensor (the classification extension)
 * @param parameters the output's remaining parameters, passed through (e.g. {@code binary_data})
 */
public record OutputRequest(String name, int classification, Map<String, Object> parameters) {
  public OutputRequest {
    requireNonNull(name, "name");
    if (classification < 0) {
      throw StrataException.invalid(
          "output '%s': classification %d (expected: >= 0)", name, classification);
    }
    parameters = Map.copyOf(parameters);
  }

  public static OutputRequest of(String name) {
    return new OutputRequest(name, 0, Map.of());
  }
}
