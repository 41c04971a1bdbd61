package dev.strata.protocol.rest;

import dev.strata.core.DataType;
import dev.strata.core.StrataException;
import dev.strata.core.Tensor;
import dev.strata.protocol.OipNames;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * The binary tensor data extension: the body is {@code L} bytes of JSON followed by the raw data of
 * every tensor that declared {@code binary_data_size}, in the order the JSON lists them. Tensors
 * become views of the body, also of a body in several buffers ({@link Tensor#ofSegments}): no copy.
 */
final class BinaryParts {
  private BinaryParts() {}

  /**
   * The length of the JSON part: all of the body without the header, else the header's value.
   *
   * @throws StrataException INVALID_ARGUMENT for a negative value or one past the body's end
   */
  static int jsonLength(OptionalInt headerLength, int bodyLength) {
    if (headerLength.isEmpty()) {
      return bodyLength;
    }
    int l = headerLength.getAsInt();
    if (l < 0 || l > bodyLength) {
      throw StrataException.invalid(
          "%s: %d (expected: 0..%d, the body's length)",
          OipNames.INFERENCE_HEADER_CONTENT_LENGTH, l, bodyLength);
    }
    return l;
  }

  /** Parses the header's text. */
  static int parseHeader(String value) {
    String v = value.trim();
    try {
      int l = Integer.parseInt(v);
      if (l >= 0) {
        return l;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw StrataException.invalid(
        "%s: '%s' (expected: a non-negative integer)",
        OipNames.INFERENCE_HEADER_CONTENT_LENGTH, value);
  }

  /**
   * Builds the tensors, slicing binary data from {@code binary} in order.
   *
   * @param hasHeader whether the body had an Inference-Header-Content-Length header
   */
  static List<Tensor> tensors(
      List<TensorObjectReader.Parsed> parsed, Segments binary, boolean hasHeader) {
    List<Tensor> out = new ArrayList<>(parsed.size());
    long at = 0;
    long end = binary.length();
    String lastBinary = null;
    for (TensorObjectReader.Parsed t : parsed) {
      ByteBuffer data = t.data;
      if (data == null) {
        if (!hasHeader) {
          throw StrataException.invalid(
              "%s: parameters.%s is given but the request has no %s header",
              t.label, OipNames.BINARY_DATA_SIZE, OipNames.INFERENCE_HEADER_CONTENT_LENGTH);
        }
        long size = t.binarySize;
        DataType type = t.datatype;
        if (type.isFixedSize()) {
          long expected = TensorObjectReader.elements(t) * type.byteSize();
          if (size != expected) {
            throw StrataException.invalid(
                "%s: parameters.%s is %d for %s shape %s (expected: %d)",
                t.label, OipNames.BINARY_DATA_SIZE, size, type, t.shape, expected);
          }
        }
        if (size > end - at) {
          throw StrataException.invalid(
              "%s: binary data truncated: parameters.%s is %d but only %d bytes remain",
              t.label, OipNames.BINARY_DATA_SIZE, size, end - at);
        }
        try {
          out.add(Tensor.ofSegments(t.name, t.datatype, t.shape, binary.slice(at, (int) size)));
        } catch (StrataException e) {
          throw StrataException.invalid("%s: %s", t.label, e.getMessage());
        }
        at += size;
        lastBinary = t.label;
        continue;
      }
      try {
        out.add(new Tensor(t.name, t.datatype, t.shape, data));
      } catch (StrataException e) {
        throw StrataException.invalid("%s: %s", t.label, e.getMessage());
      }
    }
    if (at != end) {
      throw lastBinary == null
          ? StrataException.invalid(
              "%d bytes of binary data follow the JSON but no tensor has parameters.%s",
              end - at, OipNames.BINARY_DATA_SIZE)
          : StrataException.invalid(
              "%d extra bytes after the binary data of %s (the sizes in parameters.%s add up to"
                  + " less than the body)",
              end - at, lastBinary, OipNames.BINARY_DATA_SIZE);
    }
    return out;
  }
}
