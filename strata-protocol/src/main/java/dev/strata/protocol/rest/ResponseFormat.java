package dev.strata.protocol.rest;

import static java.util.Objects.requireNonNull;

import java.util.Map;

/**
 * How a REST client asked for its outputs: which go back as binary data after the JSON (the binary
 * tensor data extension) and which as JSON {@code data} arrays.
 *
 * @param binaryByDefault the request's {@code binary_data_output} parameter
 * @param binaryOutputs each requested output's {@code binary_data} parameter, where given; it
 *     overrides the default
 */
public record ResponseFormat(boolean binaryByDefault, Map<String, Boolean> binaryOutputs) {
  /** Every output as JSON. */
  public static final ResponseFormat JSON = new ResponseFormat(false, Map.of());

  /** Every output as binary data. */
  public static final ResponseFormat BINARY = new ResponseFormat(true, Map.of());

  public ResponseFormat {
    binaryOutputs = Map.copyOf(requireNonNull(binaryOutputs, "binaryOutputs"));
  }

  /** Whether the output named {@code output} goes back as binary data. */
  public boolean binary(String output) {
    Boolean b = binaryOutputs.get(output);
    return b == null ? binaryByDefault : b;
  }
}
