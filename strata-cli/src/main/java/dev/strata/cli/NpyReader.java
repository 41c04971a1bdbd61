package dev.strata.cli;

import dev.strata.core.DataType;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.core.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a NumPy {@code .npy} array (format versions 1 to 3, C order, little-endian or single-byte
 * numeric types) into a tensor. The format is a fixed preamble and a Python dict literal; no Java
 * library for it is maintained, so this small reader covers what {@code numpy.save} writes for the
 * datatypes ONNX Runtime takes.
 */
final class NpyReader {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

  private NpyReader() {}

  static Tensor read(String name, String source, byte[] file) {
    ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    if (file.length < 10 || !ByteBuffer.wrap(file, 0, 6).equals(ByteBuffer.wrap(MAGIC))) {
      throw StrataException.invalid("%s: not a .npy file (bad magic number)", source);
    }
    int major = file[6];
    int headerLength;
    int headerStart;
    if (major == 1) {
      headerLength = Short.toUnsignedInt(b.getShort(8));
      headerStart = 10;
    } else if (major == 2 || major == 3) {
      headerLength = b.getInt(8);
      headerStart = 12;
    } else {
      throw StrataException.invalid(
          "%s: .npy format version %d (expected: 1, 2 or 3)", source, major);
    }
    if (headerLength < 0 || headerStart + headerLength > file.length) {
      throw StrataException.invalid("%s: truncated .npy header", source);
    }
    String header =
        new String(
            file,
            headerStart,
            headerLength,
            major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    String descr = group(DESCR, header, "descr", source);
    if (group(FORTRAN, header, "fortran_order", source).equals("True")) {
      throw StrataException.invalid(
          "%s: Fortran-order arrays are not supported (save with C order)", source);
    }
    Shape shape = parseShape(group(SHAPE, header, "shape", source), source);
    DataType type = dataType(descr, source);
    int dataStart = headerStart + headerLength;
    long expected = shape.numElements() * type.byteSize();
    if (file.length - dataStart != expected) {
      throw StrataException.invalid(
          "%s: %d bytes of data for shape %s of %s (expected: %d)",
          source, file.length - dataStart, shape, descr, expected);
    }
    return new Tensor(name, type, shape, ByteBuffer.wrap(file, dataStart, (int) expected));
  }

  private static String group(Pattern p, String header, String key, String source) {
    Matcher m = p.matcher(header);
    if (!m.find()) {
      throw StrataException.invalid("%s: .npy header has no '%s'", source, key);
    }
    return m.group(1);
  }

  private static Shape parseShape(String dims, String source) {
    List<Long> out = new ArrayList<>();
    for (String d : dims.split(",")) {
      if (!d.isBlank()) {
        try {
          out.add(Long.parseLong(d.trim().replace("L", "")));
        } catch (NumberFormatException e) {
          throw StrataException.invalid(
              "%s: .npy shape has '%s' (expected integers)", source, d.trim());
        }
      }
    }
    return Shape.of(out);
  }

  private static DataType dataType(String descr, String source) {
    return switch (descr) {
      case "|b1" -> DataType.BOOL;
      case "|u1" -> DataType.UINT8;
      case "|i1" -> DataType.INT8;
      case "<i2" -> DataType.INT16;
      case "<i4" -> DataType.INT32;
      case "<i8" -> DataType.INT64;
      case "<f2" -> DataType.FP16;
      case "<f4" -> DataType.FP32;
      case "<f8" -> DataType.FP64;
      default ->
          throw StrataException.invalid(
              "%s: .npy dtype '%s' is not supported (expected one of |b1 |u1 |i1 <i2 <i4 <i8 <f2 <f4 <f8)",
              source, descr);
    };
  }
}
