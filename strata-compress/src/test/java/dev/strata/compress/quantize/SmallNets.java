package dev.strata.compress.quantize;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.strata.core.DataType;
import dev.strata.core.Shape;
import dev.strata.onnx.OnnxGraphBuilder;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Small hand-built networks with random weights, and a way to run them in ONNX Runtime. */
final class SmallNets {
  private SmallNets() {}

  /** {@code [n,1,8,8] → Conv(4) → BatchNorm → Relu → MaxPool → Flatten → Gemm(3) → Softmax}. */
  static ModelProto convBnNet(long seed) {
    Random r = new Random(seed);
    OnnxGraphBuilder b = OnnxGraphBuilder.create("conv-bn");
    String x = b.input("input", DataType.FP32, List.of("n", 1, 8, 8));
    String w = b.initializer("w", Shape.of(4, 1, 3, 3), gaussian(r, 36, 0.5));
    String c =
        b.node(
            "Conv",
            List.of(x, w),
            Map.of("kernel_shape", new long[] {3, 3}, "pads", new long[] {1, 1, 1, 1}));
    String bn =
        b.node(
            "BatchNormalization",
            List.of(
                c,
                b.initializer("gamma", Shape.of(4), uniform(r, 4, 0.5, 1.5)),
                b.initializer("beta", Shape.of(4), gaussian(r, 4, 0.2)),
                b.initializer("mean", Shape.of(4), gaussian(r, 4, 0.3)),
                b.initializer("var", Shape.of(4), uniform(r, 4, 0.5, 2))),
            Map.of("epsilon", 1e-5));
    String relu = b.node("Relu", bn);
    String pool =
        b.node(
            "MaxPool",
            List.of(relu),
            Map.of("kernel_shape", new long[] {2, 2}, "strides", new long[] {2, 2}));
    String flat = b.node("Flatten", List.of(pool), Map.of("axis", 1L));
    String gemm =
        b.node(
            "Gemm",
            List.of(
                flat,
                b.initializer("fc_w", Shape.of(3, 64), gaussian(r, 192, 0.2)),
                b.initializer("fc_b", Shape.of(3), gaussian(r, 3, 0.1))),
            Map.of("transB", 1L));
    b.node("Softmax", List.of(gemm), Map.of("axis", -1L), "probabilities");
    b.output("probabilities", DataType.FP32, Shape.of(-1, 3));
    return b.build();
  }

  static float[] gaussian(Random r, int n, double sd) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (r.nextGaussian() * sd);
    }
    return v;
  }

  static float[] uniform(Random r, int n, double lo, double hi) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (lo + r.nextDouble() * (hi - lo));
    }
    return v;
  }

  /** The model's first output for a batch of float samples. */
  static float[][] run(ModelProto model, String input, float[] data, long[] shape)
      throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        OrtSession s = env.createSession(model.toByteArray(), o);
        OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(data), shape);
        OrtSession.Result r = s.run(Map.of(input, x))) {
      Object v = r.get(0).getValue();
      if (v instanceof float[][] f) {
        return f;
      }
      float[][][][] f4 = (float[][][][]) v;
      float[][] out = new float[f4.length][];
      for (int i = 0; i < f4.length; i++) {
        out[i] = flatten(f4[i]);
      }
      return out;
    }
  }

  private static float[] flatten(float[][][] a) {
    int n = a.length * a[0].length * a[0][0].length;
    float[] out = new float[n];
    int k = 0;
    for (float[][] b : a) {
      for (float[] c : b) {
        for (float f : c) {
          out[k++] = f;
        }
      }
    }
    return out;
  }
}
