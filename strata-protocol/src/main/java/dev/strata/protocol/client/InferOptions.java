package dev.strata.protocol.client;

/**
 * How a client sends an inference request and asks for its outputs.
 *
 * @param binaryInputs REST: inputs as binary tensor data after the JSON (else JSON {@code data});
 *     gRPC: inputs as {@code raw_input_contents} (else typed {@code contents})
 * @param binaryOutputs REST: outputs as binary tensor data (else JSON {@code data}); gRPC outputs
 *     are always raw
 */
public record InferOptions(boolean binaryInputs, boolean binaryOutputs) {
  /** Binary both ways: the fast path. */
  public static final InferOptions BINARY = new InferOptions(true, true);

  /** JSON both ways, as a plain HTTP client would send it. */
  public static final InferOptions JSON = new InferOptions(false, false);
}
