package dev.strata.onnx;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.strata.core.DataType;
import dev.strata.core.Shape;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Small models built in code with seeded random weights, for tests, examples and benchmarks. Each
 * has a dynamic batch axis. Nothing is downloaded; the same seed always gives the same model.
 */
public final class ExampleModels {
  /** The input name of the MLP and CNN models. */
  public static final String INPUT = "input";

  /** The output name of the MLP and CNN models (softmax probabilities). */
  public static final String OUTPUT = "probabilities";

  private ExampleModels() {}

  /** {@code input[N, in] -> Gemm -> Relu -> Gemm -> Softmax -> probabilities[N, out]}. */
  public static ModelProto mlp(int in, int hidden, int out, long seed) {
    Random rnd = new Random(seed);
    OnnxGraphBuilder g = OnnxGraphBuilder.create("mlp");
    String x = g.input(INPUT, DataType.FP32, Shape.of(-1, in));
    x = dense(g, rnd, x, in, hidden);
    x = g.node("Relu", x);
    x = dense(g, rnd, x, hidden, out);
    softmaxOutput(g, x, out);
    return g.build();
  }

  /**
   * A small CNN for 28x28 grayscale images (tens of microseconds per image on one core): two 3x3
   * convolutions (8 and 16 channels) with ReLU and 2x2 max pooling, then a dense layer to 10
   * classes. {@code input[N, 1, 28, 28] -> probabilities[N, 10]}.
   */
  public static ModelProto smallCnn(long seed) {
    Random rnd = new Random(seed);
    OnnxGraphBuilder g = OnnxGraphBuilder.create("small_cnn");
    String x = g.input(INPUT, DataType.FP32, Shape.of(-1, 1, 28, 28));
    x = g.node("Relu", conv(g, rnd, x, 1, 8, 3, 1, 1));
    x = maxPool(g, x, 2, 2, 0);
    x = g.node("Relu", conv(g, rnd, x, 8, 16, 3, 1, 1));
    x = maxPool(g, x, 2, 2, 0);
    x = g.node("Flatten", List.of(x), Map.of("axis", 1));
    x = dense(g, rnd, x, 16 * 7 * 7, 10);
    softmaxOutput(g, x, 10);
    return g.build();
  }

  /**
   * A ResNet-18-style network (compute-bound): a 7x7 stride-2 stem, 3x3 max pooling, four stages of
   * two basic residual blocks (64, 128, 256, 512 channels; 1x1 projections where the shape
   * changes), global average pooling and a dense layer. Batch normalisation is taken as already
   * folded into the convolutions, as in an exported inference graph. {@code input[N, 3, size, size]
   * -> probabilities[N, classes]}.
   */
  public static ModelProto resnet18(int size, int classes, long seed) {
    Random rnd = new Random(seed);
    OnnxGraphBuilder g = OnnxGraphBuilder.create("resnet18");
    String x = g.input(INPUT, DataType.FP32, Shape.of(-1, 3, size, size));
    x = g.node("Relu", conv(g, rnd, x, 3, 64, 7, 2, 3));
    x = maxPool(g, x, 3, 2, 1);
    int channels = 64;
    int[] widths = {64, 128, 256, 512};
    for (int stage = 0; stage < widths.length; stage++) {
      for (int block = 0; block < 2; block++) {
        int stride = stage > 0 && block == 0 ? 2 : 1;
        x = basicBlock(g, rnd, x, channels, widths[stage], stride);
        channels = widths[stage];
      }
    }
    x = g.node("GlobalAveragePool", x);
    x = g.node("Flatten", List.of(x), Map.of("axis", 1));
    x = dense(g, rnd, x, channels, classes);
    softmaxOutput(g, x, classes);
    return g.build();
  }

  /**
   * One {@code Identity} per datatype ONNX Runtime accepts from Java: inputs {@code in_<TYPE>} and
   * outputs {@code out_<TYPE>}, each {@code [N, 3]}. Proves every datatype survives each transport.
   */
  public static ModelProto identityAllTypes() {
    OnnxGraphBuilder g = OnnxGraphBuilder.create("identity_all_types");
    for (DataType t : ortTypes()) {
      String in = g.input("in_" + t.name(), t, Shape.of(-1, 3));
      g.output(g.node("Identity", List.of(in), Map.of(), "out_" + t.name()), t, Shape.of(-1, 3));
    }
    return g.build();
  }

  /**
   * A BERT-style embedding lookup: {@code input_ids[batch, sequence]} (INT64) picks rows of a
   * {@code [positions, width]} table whose row {@code i} holds {@code i * width + j}, giving {@code
   * embeddings[batch, sequence, width]}; {@code attention_mask[batch, sequence]} (INT64) multiplies
   * the ids into {@code masked_ids[batch, sequence]}. The two inputs share the symbolic dimension
   * {@code sequence}, and an id of {@code positions} or more is out of the table's range, as 513
   * tokens are for a 512-position BERT.
   */
  public static ModelProto tokenEmbedding(int positions, int width) {
    OnnxGraphBuilder g = OnnxGraphBuilder.create("token_embedding");
    String ids = g.input("input_ids", DataType.INT64, List.of("batch", "sequence"));
    String mask = g.input("attention_mask", DataType.INT64, List.of("batch", "sequence"));
    float[] rows = new float[positions * width];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = i;
    }
    String table = g.initializer("position_table", Shape.of(positions, width), rows);
    g.node("Gather", List.of(table, ids), Map.of("axis", 0), "embeddings");
    g.output("embeddings", DataType.FP32, Shape.of(-1, -1, width));
    g.node("Mul", List.of(ids, mask), Map.of(), "masked_ids");
    g.output("masked_ids", DataType.INT64, Shape.of(-1, -1));
    return g.build();
  }

  /** The datatypes ONNX Runtime's Java API can feed and fetch. */
  public static List<DataType> ortTypes() {
    return List.of(
        DataType.BOOL,
        DataType.UINT8,
        DataType.INT8,
        DataType.INT16,
        DataType.INT32,
        DataType.INT64,
        DataType.FP16,
        DataType.FP32,
        DataType.FP64,
        DataType.BYTES);
  }

  private static String basicBlock(
      OnnxGraphBuilder g, Random rnd, String x, int in, int out, int stride) {
    String y = g.node("Relu", conv(g, rnd, x, in, out, 3, stride, 1));
    y = conv(g, rnd, y, out, out, 3, 1, 1);
    String shortcut = in == out && stride == 1 ? x : conv(g, rnd, x, in, out, 1, stride, 0);
    return g.node("Relu", g.node("Add", y, shortcut));
  }

  private static String conv(
      OnnxGraphBuilder g, Random rnd, String x, int in, int out, int k, int stride, int pad) {
    float[] w = heNormal(rnd, out * in * k * k, in * k * k);
    String weight = g.initializer(g.uniqueName("conv_w"), Shape.of(out, in, k, k), w);
    String bias = g.initializer(g.uniqueName("conv_b"), Shape.of(out), new float[out]);
    return g.node(
        "Conv",
        List.of(x, weight, bias),
        Map.of(
            "kernel_shape", new long[] {k, k},
            "strides", new long[] {stride, stride},
            "pads", new long[] {pad, pad, pad, pad}));
  }

  private static String maxPool(OnnxGraphBuilder g, String x, int k, int stride, int pad) {
    return g.node(
        "MaxPool",
        List.of(x),
        Map.of(
            "kernel_shape", new long[] {k, k},
            "strides", new long[] {stride, stride},
            "pads", new long[] {pad, pad, pad, pad}));
  }

  private static String dense(OnnxGraphBuilder g, Random rnd, String x, int in, int out) {
    String w =
        g.initializer(g.uniqueName("dense_w"), Shape.of(in, out), heNormal(rnd, in * out, in));
    float[] b = new float[out];
    for (int i = 0; i < out; i++) {
      b[i] = (float) (0.01 * rnd.nextGaussian());
    }
    String bias = g.initializer(g.uniqueName("dense_b"), Shape.of(out), b);
    return g.node("Gemm", List.of(x, w, bias), Map.of());
  }

  private static void softmaxOutput(OnnxGraphBuilder g, String logits, int classes) {
    g.node("Softmax", List.of(logits), Map.of("axis", -1), OUTPUT);
    g.output(OUTPUT, DataType.FP32, Shape.of(-1, classes));
  }

  private static float[] heNormal(Random rnd, int count, int fanIn) {
    double std = Math.sqrt(2.0 / fanIn);
    float[] w = new float[count];
    for (int i = 0; i < count; i++) {
      w[i] = (float) (std * rnd.nextGaussian());
    }
    return w;
  }
}
