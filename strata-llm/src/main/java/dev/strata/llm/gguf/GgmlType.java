package dev.strata.llm.gguf;

/**
 * The tensor encodings Strata writes into GGUF files, with ggml's type ids. Quantized types encode
 * blocks of 32 values along a tensor's first (innermost) dimension.
 */
public enum GgmlType {
  /** 32-bit floats. */
  F32(0, 1, 4),
  /** IEEE half floats. */
  F16(1, 1, 2),
  /** Blocks of 32: one half-float scale and 32 4-bit values (offset 8), 18 bytes. */
  Q4_0(2, 32, 18),
  /** Blocks of 32: one half-float scale and 32 signed bytes, 34 bytes. */
  Q8_0(8, 32, 34);

  private final int id;
  private final int blockSize;
  private final int blockBytes;

  GgmlType(int id, int blockSize, int blockBytes) {
    this.id = id;
    this.blockSize = blockSize;
    this.blockBytes = blockBytes;
  }

  /** ggml's id of the type, as written in a tensor's info. */
  public int id() {
    return id;
  }

  /** How many values one block holds (1 for unquantized types). */
  public int blockSize() {
    return blockSize;
  }

  /** The bytes {@code count} values take. */
  public long bytes(long count) {
    if (count % blockSize != 0) {
      throw new IllegalArgumentException(
          count + " values do not fill whole " + name() + " blocks of " + blockSize);
    }
    return count / blockSize * blockBytes;
  }

  /** The type with ggml's id {@code id}. */
  public static GgmlType ofId(int id) {
    for (GgmlType t : values()) {
      if (t.id == id) {
        return t;
      }
    }
    throw new IllegalArgumentException("ggml type " + id + " (expected: 0, 1, 2 or 8)");
  }
}
