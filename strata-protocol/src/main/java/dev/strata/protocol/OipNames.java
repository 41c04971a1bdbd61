package dev.strata.protocol;

import java.util.List;

/** Names the protocol fixes: parameters, headers and extensions, spelled as Triton spells them. */
public final class OipNames {
  private OipNames() {}

  /** Request output parameter (bool): return this output as binary data after the JSON. */
  public static final String BINARY_DATA = "binary_data";

  /** Input and output parameter (int64): the size in bytes of a tensor sent as binary data. */
  public static final String BINARY_DATA_SIZE = "binary_data_size";

  /** Request parameter (bool): return every output as binary data unless it says otherwise. */
  public static final String BINARY_DATA_OUTPUT = "binary_data_output";

  /** Request output parameter (int64): return the top-k classes of this output. */
  public static final String CLASSIFICATION = "classification";

  /** Request parameter (int64): the request's timeout in microseconds, as in Triton. */
  public static final String TIMEOUT = "timeout";

  /** HTTP header giving the length of the JSON part of a body that carries binary tensor data. */
  public static final String INFERENCE_HEADER_CONTENT_LENGTH = "Inference-Header-Content-Length";

  /** Content type of a body that carries binary tensor data. */
  public static final String CONTENT_TYPE_BINARY = "application/octet-stream";

  /** Content type of a JSON-only body. */
  public static final String CONTENT_TYPE_JSON = "application/json";

  /** The extensions a Strata server implements, as reported in its server metadata. */
  public static final List<String> EXTENSIONS =
      List.of(
          "binary_tensor_data", "classification", "model_repository", "statistics", "parameters");
}
