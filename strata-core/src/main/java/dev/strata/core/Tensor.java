package dev.strata.core;

import static java.util.Objects.requireNonNull;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A named, typed, shaped block of data. The data is always held in the Open Inference Protocol's
 * raw encoding: little-endian elements, row-major; {@link DataType#BYTES} elements as a 4-byte
 * little-endian length followed by the bytes. Every transport (JSON, the binary extension, gRPC raw
 * contents) converts to and from this one form, so the runtime never sees transport details.
 *
 * <p>The data may lie in several buffers ({@link #ofSegments}), as a request body arrives over the
 * network: the tensor is then a view of those buffers, and {@link #copyTo(ByteBuffer)} moves the
 * bytes where they are needed (the runtime's batch buffer) without joining them first. Whoever
 * makes a tensor over memory it reuses (a pooled network buffer) says how long the tensor is valid;
 * {@link #copy()} makes one that owns its data.
 *
 * <p>The constructor checks that the data length agrees with the shape. Two tensors are equal when
 * their names, datatypes, shapes and bytes are.
 */
public final class Tensor {
  private final String name;
  private final DataType datatype;
  private final Shape shape;
  // Read-only little-endian views, in order; one for contiguous data.
  private final ByteBuffer[] segments;
  private final int size;
  private volatile ByteBuffer joined;

  public Tensor(String name, DataType datatype, Shape shape, ByteBuffer data) {
    this(name, datatype, shape, new ByteBuffer[] {view(requireNonNull(data, "data"))});
  }

  private Tensor(String name, DataType datatype, Shape shape, ByteBuffer[] segments) {
    this.name = requireNonNull(name, "name");
    this.datatype = requireNonNull(datatype, "datatype");
    this.shape = requireNonNull(shape, "shape");
    if (shape.isDynamic()) {
      throw StrataException.invalid("tensor '%s': shape %s has a dynamic dimension", name, shape);
    }
    this.segments = segments;
    long total = 0;
    for (ByteBuffer s : segments) {
      total += s.remaining();
    }
    if (total > Integer.MAX_VALUE) {
      throw StrataException.invalid("tensor '%s': %d bytes of data is too large", name, total);
    }
    this.size = (int) total;
    long elements = shape.numElements();
    if (datatype.isFixedSize()) {
      long expected = elements * datatype.byteSize();
      if (size != expected) {
        throw StrataException.invalid(
            "tensor '%s': %d bytes of %s data for shape %s (expected: %d bytes, %d elements)",
            name, size, datatype, shape, expected, elements);
      }
    } else {
      long found = countBytesElements(name, segments[0]);
      if (found != elements) {
        throw StrataException.invalid(
            "tensor '%s': %d BYTES elements for shape %s (expected: %d)",
            name, found, shape, elements);
      }
    }
  }

  /**
   * A tensor whose data is the concatenation of {@code segments} (their remaining bytes), which it
   * views without copying, e.g. the network buffers a request body arrived in. BYTES data is joined
   * into one buffer, since its elements may straddle segments.
   */
  public static Tensor ofSegments(
      String name, DataType datatype, Shape shape, List<ByteBuffer> segments) {
    requireNonNull(segments, "segments");
    if (segments.size() == 1) {
      return new Tensor(name, datatype, shape, segments.get(0));
    }
    ByteBuffer[] views = new ByteBuffer[Math.max(1, segments.size())];
    views[0] = ByteBuffer.allocate(0);
    for (int i = 0; i < segments.size(); i++) {
      views[i] = view(requireNonNull(segments.get(i), "segments[" + i + "]"));
    }
    if (datatype == DataType.BYTES && views.length > 1) {
      return new Tensor(name, datatype, shape, new ByteBuffer[] {join(views)});
    }
    return new Tensor(name, datatype, shape, views);
  }

  private static ByteBuffer view(ByteBuffer b) {
    return b.slice()
        .order(ByteOrder.LITTLE_ENDIAN)
        .asReadOnlyBuffer()
        .order(ByteOrder.LITTLE_ENDIAN);
  }

  private static ByteBuffer join(ByteBuffer[] segments) {
    long total = 0;
    for (ByteBuffer s : segments) {
      total += s.remaining();
    }
    if (total > Integer.MAX_VALUE) {
      throw StrataException.invalid("%d bytes of tensor data is too large", total);
    }
    ByteBuffer out = ByteBuffer.allocate((int) total);
    for (ByteBuffer s : segments) {
      out.put(s.duplicate());
    }
    return view(out.flip());
  }

  public String name() {
    return name;
  }

  public DataType datatype() {
    return datatype;
  }

  public Shape shape() {
    return shape;
  }

  /**
   * The data as a read-only little-endian buffer positioned at 0 (a fresh view per call). Data in
   * several segments is joined into one buffer on the first call (a copy, kept for later calls);
   * {@link #copyTo(ByteBuffer)} avoids that.
   */
  public ByteBuffer data() {
    ByteBuffer d;
    if (segments.length == 1) {
      d = segments[0];
    } else {
      d = joined;
      if (d == null) {
        d = join(segments);
        joined = d;
      }
    }
    return d.duplicate().order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Whether the data lies in one buffer, so that {@link #data()} is a view, not a copy. */
  public boolean isContiguous() {
    return segments.length == 1;
  }

  /** The buffers the data lies in, in order: fresh read-only little-endian views. */
  public List<ByteBuffer> segments() {
    List<ByteBuffer> out = new ArrayList<>(segments.length);
    for (ByteBuffer s : segments) {
      out.add(s.duplicate().order(ByteOrder.LITTLE_ENDIAN));
    }
    return out;
  }

  /**
   * Puts the data into {@code dst} at its position, advancing it by {@link #byteSize()}.
   *
   * @throws java.nio.BufferOverflowException when {@code dst} has less room than that
   */
  public void copyTo(ByteBuffer dst) {
    if (dst.remaining() < size) {
      throw new java.nio.BufferOverflowException();
    }
    for (ByteBuffer s : segments) {
      dst.put(s.duplicate());
    }
  }

  /** A tensor equal to this one that owns its data: a contiguous copy on the heap. */
  public Tensor copy() {
    ByteBuffer out = ByteBuffer.allocate(size);
    copyTo(out);
    return new Tensor(name, datatype, shape, out.flip());
  }

  /** The size of the raw data in bytes. */
  public int byteSize() {
    return size;
  }

  public long numElements() {
    return shape.numElements();
  }

  public Tensor withName(String newName) {
    return new Tensor(newName, datatype, shape, segments);
  }

  public Tensor withShape(Shape newShape) {
    return new Tensor(name, datatype, newShape, segments);
  }

  // ---- factories -------------------------------------------------------------------------------

  public static Tensor ofFloats(String name, Shape shape, float... values) {
    ByteBuffer b = allocate(values.length, 4);
    b.asFloatBuffer().put(values);
    return new Tensor(name, DataType.FP32, shape, b);
  }

  public static Tensor ofDoubles(String name, Shape shape, double... values) {
    ByteBuffer b = allocate(values.length, 8);
    b.asDoubleBuffer().put(values);
    return new Tensor(name, DataType.FP64, shape, b);
  }

  public static Tensor ofInts(String name, Shape shape, int... values) {
    ByteBuffer b = allocate(values.length, 4);
    b.asIntBuffer().put(values);
    return new Tensor(name, DataType.INT32, shape, b);
  }

  public static Tensor ofLongs(String name, Shape shape, long... values) {
    ByteBuffer b = allocate(values.length, 8);
    b.asLongBuffer().put(values);
    return new Tensor(name, DataType.INT64, shape, b);
  }

  public static Tensor ofBooleans(String name, Shape shape, boolean... values) {
    ByteBuffer b = allocate(values.length, 1);
    for (boolean v : values) {
      b.put((byte) (v ? 1 : 0));
    }
    return new Tensor(name, DataType.BOOL, shape, b.flip());
  }

  public static Tensor ofBytes(String name, Shape shape, List<byte[]> elements) {
    long size = 0;
    for (byte[] e : elements) {
      size += 4L + e.length;
    }
    if (size > Integer.MAX_VALUE) {
      throw StrataException.invalid("tensor '%s': BYTES data of %d bytes is too large", name, size);
    }
    ByteBuffer b = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
    for (byte[] e : elements) {
      b.putInt(e.length).put(e);
    }
    return new Tensor(name, DataType.BYTES, shape, b.flip());
  }

  public static Tensor ofStrings(String name, Shape shape, List<String> elements) {
    List<byte[]> bytes = new ArrayList<>(elements.size());
    for (String s : elements) {
      bytes.add(s.getBytes(StandardCharsets.UTF_8));
    }
    return ofBytes(name, shape, bytes);
  }

  // ---- accessors that copy out -----------------------------------------------------------------

  public float[] floats() {
    expect(DataType.FP32);
    float[] out = new float[(int) numElements()];
    data().asFloatBuffer().get(out);
    return out;
  }

  public double[] doubles() {
    expect(DataType.FP64);
    double[] out = new double[(int) numElements()];
    data().asDoubleBuffer().get(out);
    return out;
  }

  public int[] ints() {
    expect(DataType.INT32);
    int[] out = new int[(int) numElements()];
    data().asIntBuffer().get(out);
    return out;
  }

  public long[] longs() {
    expect(DataType.INT64);
    long[] out = new long[(int) numElements()];
    data().asLongBuffer().get(out);
    return out;
  }

  /** The elements of a BYTES tensor. */
  public List<byte[]> bytesElements() {
    expect(DataType.BYTES);
    ByteBuffer b = data();
    List<byte[]> out = new ArrayList<>((int) numElements());
    while (b.hasRemaining()) {
      byte[] e = new byte[b.getInt()];
      b.get(e);
      out.add(e);
    }
    return out;
  }

  /**
   * The elements of a BYTES tensor decoded as UTF-8. An element that is not valid UTF-8 is the
   * client's mistake, an {@link ErrorCode#INVALID_ARGUMENT} naming the tensor and the element,
   * never a string with U+FFFD in place of the bytes that were sent.
   */
  public List<String> strings() {
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    List<byte[]> raw = bytesElements();
    List<String> out = new ArrayList<>(raw.size());
    for (int i = 0; i < raw.size(); i++) {
      try {
        out.add(decoder.decode(ByteBuffer.wrap(raw.get(i))).toString());
      } catch (CharacterCodingException e) {
        throw StrataException.invalid(
            "tensor '%s': element %d is not valid UTF-8, which a text value needs", name, i);
      }
    }
    return out;
  }

  /**
   * Every element widened to double, whatever the numeric datatype (BOOL as 0/1, FP16 and BF16
   * decoded). Useful for comparisons and for the classification extension.
   */
  public double[] asDoubles() {
    if (datatype == DataType.BYTES) {
      throw StrataException.invalid("tensor '%s': BYTES data has no numeric value", name);
    }
    int n = (int) numElements();
    double[] out = new double[n];
    ByteBuffer b = data();
    for (int i = 0; i < n; i++) {
      out[i] = readAsDouble(datatype, b, i);
    }
    return out;
  }

  /** Reads element {@code index} of a fixed-size, little-endian buffer as a double. */
  public static double readAsDouble(DataType type, ByteBuffer b, int index) {
    int at = index * type.byteSize();
    return switch (type) {
      case BOOL -> b.get(at) != 0 ? 1 : 0;
      case UINT8 -> Byte.toUnsignedInt(b.get(at));
      case INT8 -> b.get(at);
      case UINT16 -> Short.toUnsignedInt(b.getShort(at));
      case INT16 -> b.getShort(at);
      case UINT32 -> Integer.toUnsignedLong(b.getInt(at));
      case INT32 -> b.getInt(at);
      case UINT64 -> unsignedToDouble(b.getLong(at));
      case INT64 -> b.getLong(at);
      case FP16 -> Float.float16ToFloat(b.getShort(at));
      case BF16 -> Float.intBitsToFloat((b.getShort(at) & 0xffff) << 16);
      case FP32 -> b.getFloat(at);
      case FP64 -> b.getDouble(at);
      case BYTES -> throw new IllegalArgumentException("BYTES");
    };
  }

  private static double unsignedToDouble(long v) {
    double d = (double) (v >>> 1) * 2.0;
    return d + (v & 1);
  }

  private void expect(DataType type) {
    if (datatype != type) {
      throw StrataException.invalid(
          "tensor '%s': datatype is %s (expected: %s)", name, datatype, type);
    }
  }

  private static ByteBuffer allocate(int count, int width) {
    return ByteBuffer.allocate(Math.multiplyExact(count, width)).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Counts the elements of a BYTES encoding, failing on a truncated or overlong element. */
  private static long countBytesElements(String name, ByteBuffer data) {
    ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    long count = 0;
    while (b.hasRemaining()) {
      if (b.remaining() < 4) {
        throw StrataException.invalid(
            "tensor '%s': BYTES element %d is truncated (a 4-byte length needs %d more bytes)",
            name, count, 4 - b.remaining());
      }
      int len = b.getInt();
      if (len < 0 || len > b.remaining()) {
        throw StrataException.invalid(
            "tensor '%s': BYTES element %d declares %d bytes but only %d remain",
            name, count, Integer.toUnsignedLong(len), b.remaining());
      }
      b.position(b.position() + len);
      count++;
    }
    return count;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Tensor t
        && name.equals(t.name)
        && datatype == t.datatype
        && shape.equals(t.shape)
        && size == t.size
        && data().equals(t.data());
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, datatype, shape, data());
  }

  @Override
  public String toString() {
    return "Tensor[" + name + ", " + datatype + shape + ", " + size + " bytes]";
  }
}
