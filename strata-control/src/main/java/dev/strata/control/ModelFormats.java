package dev.strata.control;

import dev.strata.core.StrataException;
import java.util.List;

/**
 * The artifact formats a variant may declare, in one place: the registry refuses others when a
 * variant is added, and the signed manifest carries the declared one. A new serving backend (e.g. a
 * new format of llama.cpp) is added here; a node that lacks the format's backend refuses a
 * deployment of it before downloading anything.
 */
public final class ModelFormats {
  /** ONNX models, served by ONNX Runtime. */
  public static final String ONNX = "onnx";

  /** GGUF language models, served by llama.cpp (strata-llm). */
  public static final String GGUF = "gguf";

  /** Every supported format, in the order messages list them. */
  public static final List<String> SUPPORTED = List.of(ONNX, GGUF);

  private ModelFormats() {}

  /** {@code format} when it is supported; INVALID_ARGUMENT listing the supported ones otherwise. */
  public static String requireSupported(String format, String what) {
    if (format == null || !SUPPORTED.contains(format)) {
      throw StrataException.invalid(
          "%s: %s (expected: one of %s)", what, format, String.join(", ", SUPPORTED));
    }
    return format;
  }
}
