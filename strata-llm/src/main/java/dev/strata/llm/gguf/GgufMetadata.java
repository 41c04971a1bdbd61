package dev.strata.llm.gguf;

import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The metadata of a GGUF file (version 2 or 3), read without its tensors: scalar and string values
 * by key; arrays are skipped (their element count is kept). Bounds guard against a hostile file: at
 * most {@value #MAX_KEYS} keys and strings of at most 16 MB.
 */
public final class GgufMetadata {
  private static final int MAGIC = 0x46554747;
  private static final int MAX_KEYS = 1 << 16;
  private static final long MAX_STRING = 16 << 20;

  private final Map<String, Object> values;

  private GgufMetadata(Map<String, Object> values) {
    this.values = values;
  }

  /**
   * Reads a file's metadata.
   *
   * @throws StrataException INVALID_ARGUMENT when it is not a GGUF file
   */
  public static GgufMetadata read(Path file) {
    try (InputStream raw = Files.newInputStream(file);
        DataInputStream in = new DataInputStream(new BufferedInputStream(raw, 1 << 16))) {
      if (le32(in) != MAGIC) {
        throw invalid(file, "no GGUF magic");
      }
      int version = le32(in);
      if (version != 2 && version != 3) {
        throw invalid(file, "GGUF version " + version + " (expected: 2 or 3)");
      }
      le64(in); // tensor count
      long keys = le64(in);
      if (keys < 0 || keys > MAX_KEYS) {
        throw invalid(file, keys + " metadata keys");
      }
      Map<String, Object> values = new LinkedHashMap<>();
      for (long i = 0; i < keys; i++) {
        String key = string(in, file);
        int type = le32(in);
        values.put(key, value(in, type, file));
      }
      return new GgufMetadata(values);
    } catch (EOFException e) {
      throw invalid(file, "it ends inside its metadata");
    } catch (IOException e) {
      throw new StrataException(
          ErrorCode.UNAVAILABLE, "cannot read " + file + ": " + e.getMessage());
    }
  }

  private static Object value(DataInputStream in, int type, Path file) throws IOException {
    return switch (type) {
      case 0, 1 -> (long) in.readByte();
      case 2, 3 -> (long) Short.reverseBytes(in.readShort());
      case 4 -> Integer.toUnsignedLong(le32(in));
      case 5 -> (long) le32(in);
      case 6 -> Float.intBitsToFloat(le32(in));
      case 7 -> in.readByte() != 0;
      case 8 -> string(in, file);
      case 9 -> {
        int elementType = le32(in);
        long n = le64(in);
        if (n < 0 || n > (1L << 31)) {
          throw invalid(file, "an array of " + n + " values");
        }
        for (long i = 0; i < n; i++) {
          value(in, elementType, file);
        }
        yield new ArrayValue(elementType, n);
      }
      case 10, 11 -> le64(in);
      case 12 -> Double.longBitsToDouble(le64(in));
      default -> throw invalid(file, "metadata value type " + type);
    };
  }

  /** An array value: its element type and length (the elements are not kept). */
  public record ArrayValue(int elementType, long length) {}

  private static String string(DataInputStream in, Path file) throws IOException {
    long n = le64(in);
    if (n < 0 || n > MAX_STRING) {
      throw invalid(file, "a string of " + n + " bytes");
    }
    return new String(in.readNBytes((int) n), StandardCharsets.UTF_8);
  }

  private static int le32(DataInputStream in) throws IOException {
    byte[] b = in.readNBytes(4);
    if (b.length < 4) {
      throw new EOFException();
    }
    return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt();
  }

  private static long le64(DataInputStream in) throws IOException {
    byte[] b = in.readNBytes(8);
    if (b.length < 8) {
      throw new EOFException();
    }
    return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong();
  }

  private static StrataException invalid(Path file, String why) {
    return new StrataException(ErrorCode.INVALID_ARGUMENT, file + " is not a GGUF model: " + why);
  }

  /** Every key and its value ({@link ArrayValue} for arrays). */
  public Map<String, Object> values() {
    return Map.copyOf(values);
  }

  public Optional<String> string(String key) {
    return values.get(key) instanceof String s ? Optional.of(s) : Optional.empty();
  }

  public Optional<Long> integer(String key) {
    return values.get(key) instanceof Long l ? Optional.of(l) : Optional.empty();
  }

  /** {@code general.architecture}, e.g. {@code llama}. */
  public Optional<String> architecture() {
    return string("general.architecture");
  }

  /** The context length the model was trained for ({@code <arch>.context_length}). */
  public Optional<Long> contextLength() {
    return architecture().flatMap(a -> integer(a + ".context_length"));
  }

  /** The chat template ({@code tokenizer.chat_template}), if the file has one. */
  public Optional<String> chatTemplate() {
    return string("tokenizer.chat_template");
  }
}
