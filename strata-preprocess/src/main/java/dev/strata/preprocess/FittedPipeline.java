package dev.strata.preprocess;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.core.DataType;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.core.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A pipeline fitted on training data: what it reads, its fitted steps, and the name of the model
 * input it feeds. The same object turns training images and rows into features and, at serving
 * time, turns raw requests (image bytes, raw rows) into the model's input tensor — so training and
 * serving cannot disagree. It travels inside the ONNX model under {@link #METADATA_KEY}.
 *
 * <p>Serving in two calls:
 *
 * <pre>{@code
 * Optional<FittedPipeline> p = FittedPipeline.fromModelMetadata(onnxMetadataProps);
 * Tensor modelInput = p.orElseThrow().apply(List.of(rawBytesTensor));
 * }</pre>
 */
public record FittedPipeline(
    int formatVersion,
    InputSpec input,
    List<FittedStep> steps,
    List<Step> augmentation,
    String modelInput) {

  /** The ONNX {@code metadata_props} key holding the fitted pipeline as JSON. */
  public static final String METADATA_KEY = "strata.preprocess";

  /** The newest format this code reads and the one it writes. */
  public static final int FORMAT_VERSION = 1;

  public FittedPipeline {
    requireNonNull(input, "input");
    steps = List.copyOf(requireNonNull(steps, "steps"));
    augmentation = augmentation == null ? List.of() : List.copyOf(augmentation);
    modelInput = modelInput == null || modelInput.isEmpty() ? "input" : modelInput;
    if (formatVersion < 1 || formatVersion > FORMAT_VERSION) {
      throw StrataException.invalid(
          "fitted preprocessing: format_version %d (expected: 1..%d)",
          formatVersion, FORMAT_VERSION);
    }
    if (input instanceof InputSpec.Tabular t) {
      new TabularOps(t, steps); // validates the encoding layout
    }
  }

  /** The fitted pipeline stored in an ONNX model's metadata, if it has one. */
  public static Optional<FittedPipeline> fromModelMetadata(Map<String, String> metadataProps) {
    String json = metadataProps.get(METADATA_KEY);
    return json == null ? Optional.empty() : Optional.of(fromJson(json));
  }

  /** Parses the JSON form, refusing a newer format version with a clear message. */
  public static FittedPipeline fromJson(String json) {
    JsonNode tree = PipelineJson.readTree(json, "fitted preprocessing");
    PipelineJson.checkFormatVersion(tree, FORMAT_VERSION, "fitted preprocessing");
    return PipelineJson.convert(tree, FittedPipeline.class, "fitted preprocessing");
  }

  public String toJson() {
    return PipelineJson.write(this);
  }

  /** This pipeline feeding a differently named model input. */
  public FittedPipeline withModelInput(String name) {
    return new FittedPipeline(formatVersion, input, steps, augmentation, name);
  }

  /** Whether the raw input is images (else rows). */
  @JsonIgnore
  public boolean isImage() {
    return input instanceof InputSpec.Image;
  }

  /** The shape of one sample's features: {@code [C, H, W]} for images, {@code [F]} for rows. */
  public long[] featureShape() {
    return switch (input) {
      case InputSpec.Image img -> {
        int c = img.channels();
        int h = img.height();
        int w = img.width();
        for (FittedStep s : steps) {
          if (s instanceof FittedStep.Grayscale) {
            c = 1;
          } else if (s instanceof FittedStep.Resize r) {
            h = r.height();
            w = r.width();
          }
        }
        yield new long[] {c, h, w};
      }
      case InputSpec.Tabular t -> new long[] {new TabularOps(t, steps).width()};
    };
  }

  /** The number of feature values per sample. */
  public int featureSize() {
    long n = 1;
    for (long d : featureShape()) {
      n *= d;
    }
    return Math.toIntExact(n);
  }

  /** Features of one decoded image, planar {@code [C, H, W]}. */
  public float[] applyImage(RawImage image, String what) {
    return ImageOps.apply(image, imageInput(), steps, what).data();
  }

  /**
   * Features of raw rows (cells in input column order; see {@link Cells} for what counts as
   * missing).
   *
   * @param where names the rows in errors: "{where} row {i}"
   */
  public float[][] applyRows(List<List<String>> rows, String where) {
    InputSpec.Tabular t = tabularInput();
    TabularOps ops = new TabularOps(t, steps);
    float[][] out = new float[rows.size()][ops.width()];
    for (int r = 0; r < rows.size(); r++) {
      String at = where + " row " + r;
      Object[] row = Cells.parse(t, rows.get(r), at);
      ops.transform(row, at);
      ops.encode(row, out[r], 0, at);
    }
    return out;
  }

  /** {@link #apply(List)} for a single raw tensor. */
  public Tensor apply(Tensor raw) {
    return apply(List.of(raw));
  }

  /**
   * Turns a raw request into the model's FP32 input tensor (named {@link #modelInput()}).
   *
   * <ul>
   *   <li>Images: one BYTES tensor {@code [N]} or {@code [N, 1]} of PNG/JPEG bytes → {@code [N, C,
   *       H, W]}.
   *   <li>Rows: one BYTES tensor {@code [N, columns]} of cells, or {@code [N]} / {@code [N, 1]} of
   *       comma-separated lines; or an FP32/FP64 tensor {@code [N, columns]} (NaN = missing); or
   *       one tensor per input column, named as the column, each {@code [N]} or {@code [N, 1]} →
   *       {@code [N, features]}.
   * </ul>
   *
   * <p>Images of more than {@link ImageCodec#DEFAULT_MAX_PIXELS} pixels are refused.
   *
   * @throws StrataException INVALID_ARGUMENT naming the element at fault
   */
  public Tensor apply(List<Tensor> raw) {
    return apply(raw, ImageCodec.DEFAULT_MAX_PIXELS);
  }

  /**
   * {@link #apply(List)}, refusing images of more than {@code maxImagePixels} pixels from their
   * header, before decoding them.
   *
   * @throws StrataException INVALID_ARGUMENT naming the element at fault
   */
  public Tensor apply(List<Tensor> raw, long maxImagePixels) {
    requireNonNull(raw, "raw");
    if (raw.isEmpty()) {
      throw StrataException.invalid("preprocessing: no input tensors");
    }
    return isImage() ? applyImages(raw, maxImagePixels) : applyTabular(raw);
  }

  private Tensor applyImages(List<Tensor> raw, long maxImagePixels) {
    if (raw.size() != 1) {
      throw StrataException.invalid(
          "preprocessing: %d input tensors (expected: one BYTES tensor of encoded images)",
          raw.size());
    }
    Tensor t = raw.getFirst();
    int n = batchOf(t);
    if (t.datatype() != DataType.BYTES) {
      throw StrataException.invalid(
          "input '%s': datatype %s (expected: BYTES holding PNG or JPEG images)",
          t.name(), t.datatype());
    }
    List<byte[]> images = t.bytesElements();
    long[] fs = featureShape();
    int size = featureSize();
    ByteBuffer out = ByteBuffer.allocate(n * size * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n; i++) {
      String what = "input '" + t.name() + "' image " + i;
      RawImage img = ImageCodec.decode(images.get(i), what, maxImagePixels);
      float[] f = applyImage(img, what);
      out.asFloatBuffer().position(i * size).put(f);
    }
    return new Tensor(modelInput, DataType.FP32, Shape.of(n, fs[0], fs[1], fs[2]), out);
  }

  private Tensor applyTabular(List<Tensor> raw) {
    InputSpec.Tabular t = tabularInput();
    List<List<String>> rows = raw.size() == 1 ? rowsOf(raw.getFirst(), t) : rowsOfColumns(raw, t);
    float[][] f = applyRows(rows, "input");
    int width = (int) featureShape()[0];
    float[] flat = new float[rows.size() * width];
    for (int r = 0; r < f.length; r++) {
      System.arraycopy(f[r], 0, flat, r * width, width);
    }
    return Tensor.ofFloats(modelInput, Shape.of(rows.size(), width), flat);
  }

  private static List<List<String>> rowsOf(Tensor t, InputSpec.Tabular input) {
    int n = batchOf(t);
    int cols = input.columns().size();
    List<List<String>> rows = new ArrayList<>(n);
    if (t.datatype() == DataType.BYTES) {
      List<String> cells = t.strings();
      if (t.shape().rank() == 2 && t.shape().dim(1) == cols && cols > 1
          || t.shape().rank() == 2 && cols == 1) {
        for (int r = 0; r < n; r++) {
          rows.add(cells.subList(r * cols, (r + 1) * cols));
        }
      } else if (t.shape().rank() == 1 || t.shape().rank() == 2 && t.shape().dim(1) == 1) {
        for (String line : cells) {
          rows.add(List.of(line.split(",", -1)));
        }
      } else {
        throw StrataException.invalid(
            "input '%s': shape %s (expected: [N, %d] cells or [N] comma-separated rows)",
            t.name(), t.shape(), cols);
      }
      return rows;
    }
    if (t.datatype() == DataType.FP32 || t.datatype() == DataType.FP64) {
      if (t.shape().rank() != 2 || t.shape().dim(1) != cols) {
        throw StrataException.invalid(
            "input '%s': shape %s (expected: [N, %d])", t.name(), t.shape(), cols);
      }
      double[] v = t.asDoubles();
      for (int r = 0; r < n; r++) {
        List<String> row = new ArrayList<>(cols);
        for (int c = 0; c < cols; c++) {
          double d = v[r * cols + c];
          row.add(Double.isNaN(d) ? "" : Double.toString(d));
        }
        rows.add(row);
      }
      return rows;
    }
    throw StrataException.invalid(
        "input '%s': datatype %s (expected: BYTES rows or cells, or FP32/FP64 numbers)",
        t.name(), t.datatype());
  }

  private static List<List<String>> rowsOfColumns(List<Tensor> raw, InputSpec.Tabular input) {
    List<List<String>> columns = new ArrayList<>();
    int n = -1;
    for (InputSpec.Column c : input.columns()) {
      Tensor t =
          raw.stream()
              .filter(x -> x.name().equals(c.name()))
              .findFirst()
              .orElseThrow(
                  () ->
                      StrataException.invalid(
                          "input: no tensor named '%s' (expected one tensor per column %s)",
                          c.name(), input.columns().stream().map(InputSpec.Column::name).toList()));
      if (t.numElements() != batchOf(t)) {
        throw StrataException.invalid(
            "input '%s': shape %s (expected: [N] or [N, 1])", t.name(), t.shape());
      }
      List<String> cells =
          t.datatype() == DataType.BYTES
              ? t.strings()
              : java.util.Arrays.stream(t.asDoubles())
                  .mapToObj(d -> Double.isNaN(d) ? "" : Double.toString(d))
                  .toList();
      if (n >= 0 && cells.size() != n) {
        throw StrataException.invalid(
            "input '%s': %d rows (expected: %d like the other columns)", t.name(), cells.size(), n);
      }
      n = cells.size();
      columns.add(cells);
    }
    if (raw.size() != input.columns().size()) {
      throw StrataException.invalid(
          "input: %d tensors (expected: %d, one per column)", raw.size(), input.columns().size());
    }
    List<List<String>> rows = new ArrayList<>(n);
    for (int r = 0; r < n; r++) {
      List<String> row = new ArrayList<>(columns.size());
      for (List<String> col : columns) {
        row.add(col.get(r));
      }
      rows.add(row);
    }
    return rows;
  }

  private static int batchOf(Tensor t) {
    if (t.shape().rank() == 0) {
      throw StrataException.invalid(
          "input '%s': a scalar (expected: a batch dimension first)", t.name());
    }
    return Math.toIntExact(t.shape().dim(0));
  }

  private InputSpec.Image imageInput() {
    if (input instanceof InputSpec.Image img) {
      return img;
    }
    throw StrataException.invalid("preprocessing: this pipeline reads rows, not images");
  }

  private InputSpec.Tabular tabularInput() {
    if (input instanceof InputSpec.Tabular t) {
      return t;
    }
    throw StrataException.invalid("preprocessing: this pipeline reads images, not rows");
  }
}
