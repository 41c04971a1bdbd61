package dev.strata.llm.gguf;

import static java.util.Objects.requireNonNull;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a GGUF file (version 3, little-endian), the format llama.cpp loads: a header, typed
 * metadata key/value pairs, tensor infos, and the tensors' data, each aligned to {@value
 * #ALIGNMENT} bytes. Tensors are given as floats and encoded as F32, F16, Q8_0 or Q4_0 here.
 *
 * <p>Dimensions are given innermost first, as ggml counts them ({@code ne0} = the number of columns
 * of a row-major matrix): a PyTorch {@code Linear(in, out)} weight of shape {@code [out, in]} is
 * the ggml tensor {@code [in, out]} with the same bytes.
 *
 * <p>The file appears by an atomic rename once complete.
 */
public final class GgufWriter {
  /** The data alignment written in {@code general.alignment}. */
  public static final int ALIGNMENT = 32;

  private static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian int
  private static final int VERSION = 3;

  /** GGUF's metadata value types. */
  enum ValueType {
    UINT8,
    INT8,
    UINT16,
    INT16,
    UINT32,
    INT32,
    FLOAT32,
    BOOL,
    STRING,
    ARRAY,
    UINT64,
    INT64,
    FLOAT64
  }

  private record Value(ValueType type, Object value, ValueType elementType) {}

  private record TensorData(String name, long[] dims, GgmlType type, float[] values) {}

  private final Map<String, Value> metadata = new LinkedHashMap<>();
  private final List<TensorData> tensors = new ArrayList<>();

  public GgufWriter() {
    putU32("general.alignment", ALIGNMENT);
  }

  public GgufWriter put(String key, String value) {
    return add(key, new Value(ValueType.STRING, requireNonNull(value, key), null));
  }

  public GgufWriter putU32(String key, long value) {
    if (value < 0 || value > 0xffffffffL) {
      throw new IllegalArgumentException(key + ": " + value + " (expected: a uint32)");
    }
    return add(key, new Value(ValueType.UINT32, value, null));
  }

  public GgufWriter putI32(String key, int value) {
    return add(key, new Value(ValueType.INT32, value, null));
  }

  public GgufWriter putF32(String key, float value) {
    return add(key, new Value(ValueType.FLOAT32, value, null));
  }

  public GgufWriter putBool(String key, boolean value) {
    return add(key, new Value(ValueType.BOOL, value, null));
  }

  public GgufWriter putStrings(String key, List<String> values) {
    return add(key, new Value(ValueType.ARRAY, List.copyOf(values), ValueType.STRING));
  }

  public GgufWriter putI32s(String key, int[] values) {
    return add(key, new Value(ValueType.ARRAY, values.clone(), ValueType.INT32));
  }

  public GgufWriter putF32s(String key, float[] values) {
    return add(key, new Value(ValueType.ARRAY, values.clone(), ValueType.FLOAT32));
  }

  private GgufWriter add(String key, Value v) {
    requireNonNull(key, "key");
    metadata.put(key, v);
    return this;
  }

  /**
   * Adds a tensor.
   *
   * @param dims its dimensions, innermost first
   * @param values its values in memory order ({@code dims[0]} varies fastest)
   */
  public GgufWriter tensor(String name, long[] dims, GgmlType type, float[] values) {
    requireNonNull(name, "name");
    long count = 1;
    for (long d : dims) {
      if (d <= 0) {
        throw new IllegalArgumentException("tensor " + name + ": dimension " + d);
      }
      count *= d;
    }
    if (count != values.length) {
      throw new IllegalArgumentException(
          "tensor " + name + ": " + values.length + " values for " + count + " elements");
    }
    if (type.blockSize() > 1 && dims[0] % type.blockSize() != 0) {
      throw new IllegalArgumentException(
          "tensor "
              + name
              + ": its rows of "
              + dims[0]
              + " do not fill whole "
              + type
              + " blocks of "
              + type.blockSize());
    }
    tensors.add(new TensorData(name, dims.clone(), type, values));
    return this;
  }

  /** Writes the file to {@code file} (atomically: a temporary file renamed into place). */
  public void write(Path file) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
    try {
      try (OutputStream raw = Files.newOutputStream(tmp, StandardOpenOption.WRITE);
          Counting out = new Counting(new BufferedOutputStream(raw, 1 << 20))) {
        out.u32(MAGIC);
        out.u32(VERSION);
        out.u64(tensors.size());
        out.u64(metadata.size());
        for (Map.Entry<String, Value> e : metadata.entrySet()) {
          out.string(e.getKey());
          writeValue(out, e.getValue());
        }
        long offset = 0;
        for (TensorData t : tensors) {
          out.string(t.name());
          out.u32(t.dims().length);
          for (long d : t.dims()) {
            out.u64(d);
          }
          out.u32(t.type().id());
          out.u64(offset);
          offset = align(offset + t.type().bytes(t.values().length));
        }
        out.pad();
        for (TensorData t : tensors) {
          encode(out, t);
          out.pad();
        }
      }
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ch.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static long align(long n) {
    return (n + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
  }

  private static void writeValue(Counting out, Value v) throws IOException {
    out.u32(v.type().ordinal());
    switch (v.type()) {
      case STRING -> out.string((String) v.value());
      case UINT32 -> out.u32((int) (long) (Long) v.value());
      case INT32 -> out.u32((Integer) v.value());
      case FLOAT32 -> out.u32(Float.floatToRawIntBits((Float) v.value()));
      case BOOL -> out.write((Boolean) v.value() ? 1 : 0);
      case ARRAY -> {
        out.u32(v.elementType().ordinal());
        switch (v.elementType()) {
          case STRING -> {
            @SuppressWarnings("unchecked")
            List<String> list = (List<String>) v.value();
            out.u64(list.size());
            for (String s : list) {
              out.string(s);
            }
          }
          case INT32 -> {
            int[] a = (int[]) v.value();
            out.u64(a.length);
            for (int x : a) {
              out.u32(x);
            }
          }
          case FLOAT32 -> {
            float[] a = (float[]) v.value();
            out.u64(a.length);
            for (float x : a) {
              out.u32(Float.floatToRawIntBits(x));
            }
          }
          default -> throw new IllegalStateException("array of " + v.elementType());
        }
      }
      default -> throw new IllegalStateException("value of " + v.type());
    }
  }

  private static void encode(Counting out, TensorData t) throws IOException {
    float[] x = t.values();
    switch (t.type()) {
      case F32 -> {
        ByteBuffer b = ByteBuffer.allocate(x.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : x) {
          b.putFloat(f);
        }
        out.write(b.array());
      }
      case F16 -> {
        ByteBuffer b = ByteBuffer.allocate(x.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : x) {
          b.putShort(Float.floatToFloat16(f));
        }
        out.write(b.array());
      }
      case Q8_0 -> out.write(Quantize.q8_0(x));
      case Q4_0 -> out.write(Quantize.q4_0(x));
    }
  }

  /** A little-endian output that counts its bytes, for alignment. */
  private static final class Counting extends OutputStream {
    private final OutputStream out;
    private long count;
    private final byte[] scratch = new byte[8];

    Counting(OutputStream out) {
      this.out = out;
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      count += len;
    }

    void u32(int v) throws IOException {
      ByteBuffer.wrap(scratch).order(ByteOrder.LITTLE_ENDIAN).putInt(0, v);
      write(scratch, 0, 4);
    }

    void u64(long v) throws IOException {
      ByteBuffer.wrap(scratch).order(ByteOrder.LITTLE_ENDIAN).putLong(0, v);
      write(scratch, 0, 8);
    }

    void string(String s) throws IOException {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      u64(b.length);
      write(b, 0, b.length);
    }

    void pad() throws IOException {
      while (count % ALIGNMENT != 0) {
        write(0);
      }
    }

    @Override
    public void close() throws IOException {
      out.close();
    }
  }
}
