package dev.strata.core;

import java.util.Locale;

/**
 * Tensor element types, named as in the Open Inference Protocol. {@link #byteSize()} is the size of
 * one element in the little-endian raw encoding; {@link #BYTES} elements are variable-length and
 * encoded as a 4-byte little-endian length followed by the bytes.
 */
public enum DataType {
  BOOL(1),
  UINT8(1),
  UINT16(2),
  UINT32(4),
  UINT64(8),
  INT8(1),
  INT16(2),
  INT32(4),
  INT64(8),
  FP16(2),
  BF16(2),
  FP32(4),
  FP64(8),
  BYTES(-1);

  private final int byteSize;

  DataType(int byteSize) {
    this.byteSize = byteSize;
  }

  /** Bytes per element, or -1 for the variable-length {@link #BYTES}. */
  public int byteSize() {
    return byteSize;
  }

  public boolean isFixedSize() {
    return byteSize > 0;
  }

  public boolean isFloatingPoint() {
    return this == FP16 || this == BF16 || this == FP32 || this == FP64;
  }

  /** The protocol name, e.g. {@code "FP32"}. */
  public String wireName() {
    return name();
  }

  /**
   * Parses a protocol datatype name. Accepts the OIP names ({@code FP32}) and, for convenience, the
   * Triton config names ({@code TYPE_FP32}), case-insensitively.
   *
   * @throws StrataException INVALID_ARGUMENT naming the unknown value
   */
  public static DataType fromWireName(String name) {
    if (name == null) {
      throw StrataException.invalid("datatype: missing (expected one of %s)", names());
    }
    String upper = name.toUpperCase(Locale.ROOT);
    if (upper.startsWith("TYPE_")) {
      upper = upper.substring(5);
    }
    if (upper.equals("STRING")) {
      return BYTES;
    }
    for (DataType t : values()) {
      if (t.name().equals(upper)) {
        return t;
      }
    }
    throw StrataException.invalid("datatype: '%s' (expected one of %s)", name, names());
  }

  private static String names() {
    StringBuilder sb = new StringBuilder();
    for (DataType t : values()) {
      if (!sb.isEmpty()) {
        sb.append(", ");
      }
      sb.append(t.name());
    }
    return sb.toString();
  }
}
