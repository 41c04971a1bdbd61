package dev.strata.edge.calibrate;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.control.Json;
import dev.strata.core.StrataException;
import dev.strata.preprocess.RawImage;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Reads labelled validation sets: IDX files (the MNIST / Fashion-MNIST format, plain or gzipped:
 * unsigned bytes or float32 examples, unsigned byte labels) or JSON lines ({@code {"input": [...],
 * "label": n}} per line).
 */
public final class Datasets {
  private static final int UBYTE = 0x08;
  private static final int FLOAT = 0x0D;

  private Datasets() {}

  /**
   * Examples from an IDX file (the first dimension counts them), each value divided by {@code
   * scale}, with the labels of an IDX label file.
   */
  public static LabelledSet idx(Path images, Path labels, double scale) throws IOException {
    Idx x = readIdx(images);
    Idx y = readIdx(labels);
    if (y.dims.length != 1 || y.type != UBYTE) {
      throw StrataException.invalid(
          "%s: not an IDX label file (expected: one dimension of unsigned bytes)", labels);
    }
    if (x.dims.length < 2) {
      throw StrataException.invalid(
          "%s: %d dimension(s) (expected: examples x values)", images, x.dims.length);
    }
    int n = x.dims[0];
    if (n != y.dims[0]) {
      throw StrataException.invalid(
          "%s has %d examples, %s %d labels (expected: as many)", images, n, labels, y.dims[0]);
    }
    int per = x.values.length / Math.max(1, n);
    List<float[]> examples = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      float[] e = new float[per];
      for (int j = 0; j < per; j++) {
        e[j] = (float) (x.values[i * per + j] / scale);
      }
      examples.add(e);
    }
    int[] l = new int[n];
    for (int i = 0; i < n; i++) {
      l[i] = (int) y.values[i];
    }
    List<RawImage> raw = new ArrayList<>();
    if (x.dims.length == 3 && x.type == UBYTE) {
      int h = x.dims[1];
      int w = x.dims[2];
      for (int i = 0; i < n; i++) {
        byte[] pixels = new byte[per];
        for (int j = 0; j < per; j++) {
          pixels[j] = (byte) x.values[i * per + j];
        }
        raw.add(new RawImage(h, w, 1, pixels));
      }
    }
    return new LabelledSet(examples, l, raw);
  }

  /** Examples from JSON lines: {@code {"input": [numbers, nested or flat], "label": n}}. */
  public static LabelledSet jsonLines(Path file, double scale) throws IOException {
    List<float[]> examples = new ArrayList<>();
    List<Integer> labels = new ArrayList<>();
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      int number = 0;
      while ((line = r.readLine()) != null) {
        number++;
        if (line.isBlank()) {
          continue;
        }
        JsonNode node = Json.mapper().readTree(line);
        JsonNode input = node.get("input");
        JsonNode label = node.get("label");
        if (input == null || !input.isArray() || label == null || !label.canConvertToInt()) {
          throw StrataException.invalid(
              "%s line %d: expected {\"input\": [numbers], \"label\": integer}", file, number);
        }
        List<Float> values = new ArrayList<>();
        flatten(input, values, file, number);
        float[] e = new float[values.size()];
        for (int i = 0; i < e.length; i++) {
          e[i] = (float) (values.get(i) / scale);
        }
        examples.add(e);
        labels.add(label.asInt());
      }
    }
    return new LabelledSet(examples, labels.stream().mapToInt(Integer::intValue).toArray());
  }

  private static void flatten(JsonNode n, List<Float> out, Path file, int line) {
    if (n.isArray()) {
      for (JsonNode c : n) {
        flatten(c, out, file, line);
      }
    } else if (n.isNumber()) {
      out.add(n.floatValue());
    } else {
      throw StrataException.invalid(
          "%s line %d: input holds %s (expected: numbers)", file, line, n);
    }
  }

  private record Idx(int type, int[] dims, double[] values) {}

  private static Idx readIdx(Path file) throws IOException {
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(file))) {
      raw.mark(2);
      int b0 = raw.read();
      int b1 = raw.read();
      raw.reset();
      InputStream in = b0 == 0x1f && b1 == 0x8b ? new GZIPInputStream(raw, 1 << 16) : raw;
      DataInputStream d = new DataInputStream(new BufferedInputStream(in, 1 << 16));
      int magic = d.readInt();
      int type = (magic >> 8) & 0xff;
      int rank = magic & 0xff;
      if ((magic >>> 16) != 0 || rank == 0 || (type != UBYTE && type != FLOAT)) {
        throw StrataException.invalid(
            "%s: magic 0x%08x (expected: an IDX file of unsigned bytes 0x08 or floats 0x0D)",
            file, magic);
      }
      int[] dims = new int[rank];
      long count = 1;
      for (int i = 0; i < rank; i++) {
        dims[i] = d.readInt();
        count *= dims[i];
      }
      if (count > Integer.MAX_VALUE - 8) {
        throw StrataException.invalid("%s: %d values (too many)", file, count);
      }
      double[] values = new double[(int) count];
      try {
        for (int i = 0; i < values.length; i++) {
          values[i] = type == UBYTE ? d.readUnsignedByte() : d.readFloat();
        }
      } catch (EOFException e) {
        throw StrataException.invalid("%s: truncated (expected %d values)", file, count);
      }
      return new Idx(type, dims, values);
    }
  }
}
