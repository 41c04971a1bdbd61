package dev.strata.protocol.rest;

import static java.util.Objects.requireNonNull;

import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.ModelMetadata;
import dev.strata.core.ModelStatistics;
import dev.strata.core.RepositoryEntry;
import dev.strata.core.ServerMetadata;
import dev.strata.core.StrataException;
import dev.strata.modelconfig.Triton;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The Open Inference Protocol's HTTP/REST bodies, with Triton's binary tensor data extension,
 * classification parameter, statistics and model repository messages. Transport-agnostic: bytes in,
 * bytes out. Stateless and thread-safe; one instance serves a whole server or client.
 *
 * <h2>Inference bodies</h2>
 *
 * A request or response body is JSON, optionally followed by binary tensor data; the {@code
 * Inference-Header-Content-Length} header gives the JSON's length when binary data follows. JSON is
 * read and written with Jackson's streaming API, numbers going straight between the text and the
 * little-endian raw form of {@link dev.strata.core.Tensor}. Binary tensors are views of the body
 * (its array, or the buffers a body in several buffers lies in), not copies: the caller must not
 * reuse that memory while the decoded request or response is in use.
 *
 * <p>Choices where the protocol is silent, following Triton:
 *
 * <ul>
 *   <li>{@code data} may be flat or nested; nesting must agree with {@code shape} (row-major).
 *   <li>BOOL data is {@code true}/{@code false}; integer types take JSON integers only, range
 *       checked per type; FP16, BF16, FP32 and FP64 take any JSON number (rounded to nearest), plus
 *       bare {@code NaN}, {@code Infinity} and {@code -Infinity}; a finite number past the type's
 *       range is an error.
 *   <li>BYTES elements are JSON strings, sent as their UTF-8 bytes; there is no base64 form (as in
 *       Triton). A BYTES output that is not valid UTF-8 is sent as binary data even when JSON was
 *       asked for, since a JSON string cannot carry it unchanged.
 *   <li>Consumed parameters are removed from what reaches the runtime: the request's {@code
 *       binary_data_output} (into {@link ResponseFormat}) and {@code timeout} (microseconds, into
 *       {@link InferenceRequest#timeout()}), and an output's {@code classification} (into {@link
 *       dev.strata.core.OutputRequest#classification()}). Input parameters other than {@code
 *       binary_data_size} have no place in a core tensor and are dropped.
 *   <li>Unknown fields are ignored (e.g. {@code model_name} in a request body: the URL names the
 *       model); {@code null} stands for an absent optional field.
 * </ul>
 *
 * <p>Every problem with a body is a {@link StrataException} with code INVALID_ARGUMENT whose
 * message names the field, tensor or header at fault.
 *
 * <h2>Other bodies</h2>
 *
 * Health endpoints have empty bodies (status 200 for true, 400 for false, as the protocol says), so
 * they need nothing here. Errors are {@code {"error": "..."}}, with Strata's {@code "code"} added
 * when known so that a Strata client gets the exact {@link dev.strata.core.ErrorCode} back.
 */
public final class RestCodec {

  /**
   * A decoded inference request and how its outputs are to be returned.
   *
   * @param request the request for the runtime
   * @param format which outputs go back as binary data
   */
  public record DecodedInfer(InferenceRequest request, ResponseFormat format) {
    public DecodedInfer {
      requireNonNull(request, "request");
      requireNonNull(format, "format");
    }
  }

  // ---- server side: inference --------------------------------------------------------------

  /**
   * Decodes an inference request body.
   *
   * @param model the model named in the URL
   * @param version the version named in the URL, if any
   * @param body the array holding the body; binary tensors stay views of it
   * @param headerLength the {@code Inference-Header-Content-Length} value, if the header was sent
   *     (see {@link #parseInferenceHeaderContentLength(String)})
   * @throws StrataException INVALID_ARGUMENT naming what is wrong with the body
   */
  public DecodedInfer decodeInfer(
      String model,
      Optional<String> version,
      byte[] body,
      int offset,
      int length,
      OptionalInt headerLength) {
    requireNonNull(model, "model");
    requireNonNull(version, "version");
    requireNonNull(headerLength, "headerLength");
    checkRange(body, offset, length);
    return InferRequestReader.read(model, version, body, offset, length, headerLength);
  }

  /**
   * {@link #decodeInfer(String, Optional, byte[], int, int, OptionalInt)} for a buffer's remaining
   * bytes: an array-backed buffer is read in place, any other is copied once.
   */
  public DecodedInfer decodeInfer(
      String model, Optional<String> version, ByteBuffer body, OptionalInt headerLength) {
    if (body.hasArray()) {
      return decodeInfer(
          model,
          version,
          body.array(),
          body.arrayOffset() + body.position(),
          body.remaining(),
          headerLength);
    }
    byte[] copy = new byte[body.remaining()];
    body.duplicate().get(copy);
    return decodeInfer(model, version, copy, 0, copy.length, headerLength);
  }

  /**
   * Decodes an inference request body that lies in several buffers, the remaining bytes of each in
   * order, as it arrived from the network. The JSON part is parsed in place when one array holds
   * it, else from a copy of that part alone; binary tensors become views of the buffers ({@link
   * dev.strata.core.Tensor#ofSegments}), so the caller keeps the buffers unchanged while the
   * request is in use. The buffers' positions are not moved.
   *
   * @throws StrataException INVALID_ARGUMENT naming what is wrong with the body
   */
  public DecodedInfer decodeInfer(
      String model, Optional<String> version, List<ByteBuffer> body, OptionalInt headerLength) {
    requireNonNull(model, "model");
    requireNonNull(version, "version");
    requireNonNull(body, "body");
    requireNonNull(headerLength, "headerLength");
    return InferRequestReader.read(model, version, body, headerLength);
  }

  /**
   * Parses the {@code Inference-Header-Content-Length} header's value.
   *
   * @throws StrataException INVALID_ARGUMENT naming the header when the value is not a non-negative
   *     integer
   */
  public static int parseInferenceHeaderContentLength(String value) {
    return BinaryParts.parseHeader(requireNonNull(value, "value"));
  }

  /**
   * Encodes an inference response: outputs that {@code format} marks binary get {@code
   * parameters.binary_data_size} and no {@code data}, their bytes following the JSON. Use {@link
   * EncodedBody#contentType()} and {@link EncodedBody#inferenceHeaderContentLength()} for the
   * headers.
   */
  public EncodedBody encodeInfer(InferenceResponse response, ResponseFormat format) {
    return InferBodyWriter.response(
        requireNonNull(response, "response"), requireNonNull(format, "format"));
  }

  // ---- server side: other messages ---------------------------------------------------------

  /** {@code {"error": message}}. */
  public byte[] error(String message) {
    return MetadataJson.error(requireNonNull(message, "message"), null);
  }

  /** {@code {"error": message, "code": "..."}}; send it with {@code e.code().httpStatus()}. */
  public byte[] error(StrataException e) {
    String message = e.getMessage() == null ? e.code().name() : e.getMessage();
    return MetadataJson.error(message, e.code());
  }

  /** {@code {"name", "version", "extensions": [...]}}. */
  public byte[] serverMetadata(ServerMetadata metadata) {
    return MetadataJson.serverMetadata(requireNonNull(metadata, "metadata"));
  }

  /**
   * {@code {"name", "versions", "platform", "inputs": [{"name", "datatype", "shape"}], "outputs"}},
   * plus {@code "parameters"} when the metadata has any.
   */
  public byte[] modelMetadata(ModelMetadata metadata) {
    return MetadataJson.modelMetadata(requireNonNull(metadata, "metadata"));
  }

  /**
   * Triton's model configuration extension: the configuration as JSON with proto field names
   * ({@code "max_batch_size"}, {@code "data_type": "TYPE_FP32"}, {@code "dims": [3, 224, 224]}).
   */
  public byte[] modelConfig(Triton.ModelConfig config) {
    return ModelConfigJson.write(requireNonNull(config, "config"));
  }

  /** Triton's statistics response: {@code {"model_stats": [...]}}. */
  public byte[] statistics(List<ModelStatistics> statistics) {
    return MetadataJson.statistics(requireNonNull(statistics, "statistics"));
  }

  /** Triton's repository index response: {@code [{"name", "version", "state", "reason"}]}. */
  public byte[] repositoryIndex(List<RepositoryEntry> entries) {
    return MetadataJson.repositoryIndex(requireNonNull(entries, "entries"));
  }

  /**
   * Decodes a repository index request body, {@code {"ready": bool}}, which may be empty.
   *
   * @return whether only ready models are asked for
   */
  public boolean decodeRepositoryIndexRequest(byte[] body, int offset, int length) {
    checkRange(body, offset, length);
    return MetadataJson.repositoryIndexRequest(body, offset, length);
  }

  /**
   * Decodes a repository load or unload body, {@code {"parameters": {...}}}, which may be empty.
   *
   * @return the parameters (e.g. Triton's {@code config}, {@code unload_dependents})
   */
  public Map<String, Object> decodeRepositoryRequest(byte[] body, int offset, int length) {
    checkRange(body, offset, length);
    return MetadataJson.repositoryRequest(body, offset, length);
  }

  // ---- client side -------------------------------------------------------------------------

  /**
   * Encodes an inference request.
   *
   * @param binaryInputs send the inputs as binary data (else as JSON {@code data}; a BYTES input
   *     that is not valid UTF-8 goes as binary either way)
   * @param binaryOutputs ask for the outputs as binary data
   */
  public EncodedBody encodeInferRequest(
      InferenceRequest request, boolean binaryInputs, boolean binaryOutputs) {
    return InferBodyWriter.request(requireNonNull(request, "request"), binaryInputs, binaryOutputs);
  }

  /**
   * Decodes an inference response body.
   *
   * @param headerLength the response's {@code Inference-Header-Content-Length}, if sent
   */
  public InferenceResponse decodeInferResponse(
      byte[] body, int offset, int length, OptionalInt headerLength) {
    checkRange(body, offset, length);
    return InferResponseReader.read(body, offset, length, requireNonNull(headerLength, "h"));
  }

  /**
   * The exception an error response stands for: its {@code "error"} message, and its {@code "code"}
   * when present, else the code {@link dev.strata.core.ErrorCode#fromHttpStatus(int)} gives. A body
   * that is not protocol JSON becomes the message as text.
   */
  public StrataException decodeError(int httpStatus, byte[] body) {
    return MetadataJson.error(httpStatus, requireNonNull(body, "body"));
  }

  public ServerMetadata decodeServerMetadata(byte[] body) {
    return MetadataJson.serverMetadata(requireNonNull(body, "body"));
  }

  public ModelMetadata decodeModelMetadata(byte[] body) {
    return MetadataJson.modelMetadata(requireNonNull(body, "body"));
  }

  public Triton.ModelConfig decodeModelConfig(byte[] body) {
    return ModelConfigJson.read(requireNonNull(body, "body"));
  }

  public List<ModelStatistics> decodeStatistics(byte[] body) {
    return MetadataJson.statistics(requireNonNull(body, "body"));
  }

  public List<RepositoryEntry> decodeRepositoryIndex(byte[] body) {
    return MetadataJson.repositoryIndex(requireNonNull(body, "body"));
  }

  /** {@code {"ready": readyOnly}}. */
  public byte[] repositoryIndexRequest(boolean readyOnly) {
    return MetadataJson.repositoryIndexRequest(readyOnly);
  }

  /** {@code {"parameters": {...}}}, or {@code {}} without parameters. */
  public byte[] repositoryRequest(Map<String, Object> parameters) {
    return MetadataJson.repositoryRequest(requireNonNull(parameters, "parameters"));
  }

  private static void checkRange(byte[] body, int offset, int length) {
    requireNonNull(body, "body");
    if (offset < 0 || length < 0 || offset > body.length - length) {
      throw new IndexOutOfBoundsException(
          "offset " + offset + ", length " + length + " outside an array of " + body.length);
    }
  }
}
