package dev.strata.control;

import dev.strata.core.StrataException;
import java.util.List;

/**
 * The artifact formats a variant may declare, in one place: the registry refuses others when a
 * variant is added, and the signed manifest carries the declared one. A new serving backend (e.g.
 * {@code gguf} for llama.cpp) is added here.
 */
public final class ModelFormats {
  /** ONNX models, served by ONNX Runtime. */
  public static final String ONNX = "onnx";

  /** Every supported format, in the order messages list them. */
  public static final List<String> SUPPORTED = List.of(ONNX);

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
