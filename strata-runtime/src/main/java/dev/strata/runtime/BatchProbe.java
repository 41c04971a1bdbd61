package dev.strata.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.strata.core.DataType;
import dev.strata.core.Shape;
import dev.strata.core.Tensor;
import dev.strata.core.TensorSpec;
import dev.strata.runtime.ModelConfig.WarmupInput;
import dev.strata.runtime.ModelConfig.WarmupSample;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * Proves at load time that a model whose {@code max_batch_size} was derived (every input and output
 * has a dynamic first dimension, the config sets none) really batches: a dynamic first dimension
 * does not make it a batch (Softmax over axis 0, Concat along axis 0). Two different seeded random
 * samples A and B run alone and as one batch [A; B]; every served output's first dimension must
 * follow the batch (1, then 2), and the batched rows must equal the separate answers: floating
 * point within {@code |batched - alone| <= atol + rtol * |alone|} (FP32/FP64: 1e-5, 1e-4; FP16:
 * 1e-3, 1e-2; BF16: 1e-2, 2e-2), every other type exactly. One probe per version, on its first
 * session.
 *
 * <p>Dynamic dimensions after the batch are those of the first warm-up sample that sets the input's
 * {@code dims}, else 1. Integer inputs take 0 or 1 (valid token ids, masks and indices for most
 * models), floating-point ones uniform values in [0, 1), BYTES short digit strings.
 */
final class BatchProbe {
  private BatchProbe() {}

  /**
   * Runs the probe on a session of a batching signature.
   *
   * @return why the model must not batch, or empty when it batches
   */
  static Optional<String> probe(
      OrtSession session, ModelSignature signature, List<WarmupSample> warmup) {
    List<Tensor> a = new ArrayList<>();
    List<Tensor> b = new ArrayList<>();
    List<Tensor> ab = new ArrayList<>();
    Random randomA = new Random(1);
    Random randomB = new Random(2);
    for (TensorSpec spec : signature.inputs()) {
      Shape one = dims(spec, warmup).prepend(1);
      Tensor x = sample(spec, one, randomA);
      Tensor y = sample(spec, one, randomB);
      a.add(x);
      b.add(y);
      ab.add(concat(x, y));
    }
    List<TensorSpec> outputs = signature.outputs();
    List<Tensor> outA;
    List<Tensor> outB;
    try {
      outA = run(session, a, outputs);
      outB = run(session, b, outputs);
    } catch (OrtException | RuntimeException e) {
      List<String> shapes = a.stream().map(t -> t.name() + " " + t.shape()).toList();
      return Optional.of(
          "one sample "
              + shapes
              + " did not run (give a warm-up sample dims that fit the model) ("
              + e.getMessage()
              + ")");
    }
    List<Tensor> outAb;
    try {
      outAb = run(session, ab, outputs);
    } catch (OrtException | RuntimeException e) {
      return Optional.of("a batch of 2 failed where one sample ran (" + e.getMessage() + ")");
    }
    return decide(outputs, outA, outB, outAb);
  }

  /**
   * The decision over the outputs (in {@code outputs} order) of sample A alone, B alone and [A; B].
   *
   * @return why the model must not batch, or empty when it batches
   */
  static Optional<String> decide(
      List<TensorSpec> outputs, List<Tensor> a, List<Tensor> b, List<Tensor> ab) {
    for (int o = 0; o < outputs.size(); o++) {
      String name = outputs.get(o).name();
      Tensor batched = ab.get(o);
      Tensor first = a.get(o);
      Tensor second = b.get(o);
      Optional<String> why =
          firstDim(name, first, 1)
              .or(() -> firstDim(name, batched, 2))
              .or(() -> firstDim(name, second, 1));
      if (why.isPresent()) {
        return why;
      }
      Shape rowShape = batched.shape().dropFirst();
      for (int row = 0; row < 2; row++) {
        Tensor alone = row == 0 ? first : second;
        if (!alone.shape().dropFirst().equals(rowShape)) {
          return Optional.of(
              String.format(
                  "output '%s' has shape %s for a batch of 2 but %s for one sample",
                  name, batched.shape(), alone.shape()));
        }
        Optional<String> differs = compare(name, batched, row, alone);
        if (differs.isPresent()) {
          return differs;
        }
      }
    }
    return Optional.empty();
  }

  private static Optional<String> firstDim(String name, Tensor t, int batch) {
    if (t.shape().rank() == 0) {
      return Optional.of(
          String.format(
              "output '%s' is a scalar for a batch of %d (expected %d rows)", name, batch, batch));
    }
    if (t.shape().dim(0) != batch) {
      return Optional.of(
          String.format(
              "output '%s' first dimension %d for a batch of %d (expected %d)",
              name, t.shape().dim(0), batch, batch));
    }
    return Optional.empty();
  }

  /** Row {@code row} of the batched output against the sample's own output. */
  private static Optional<String> compare(String name, Tensor batched, int row, Tensor alone) {
    int n = Math.toIntExact(alone.numElements());
    DataType type = alone.datatype();
    if (type == DataType.BYTES) {
      List<String> all = batched.strings();
      List<String> own = alone.strings();
      for (int i = 0; i < n; i++) {
        if (!all.get(row * n + i).equals(own.get(i))) {
          return Optional.of(differs(name, row, i, all.get(row * n + i), own.get(i)));
        }
      }
      return Optional.empty();
    }
    ByteBuffer all = batched.data().order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer own = alone.data().order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n; i++) {
      double x = Tensor.readAsDouble(type, all, row * n + i);
      double y = Tensor.readAsDouble(type, own, i);
      if (!close(type, x, y)) {
        return Optional.of(differs(name, row, i, format(x), format(y)));
      }
    }
    return Optional.empty();
  }

  private static String differs(String name, int row, int element, String batched, String alone) {
    return String.format(
        "output '%s' differs when two samples run as one batch (sample %d element %d: %s batched,"
            + " %s alone)",
        name, row, element, batched, alone);
  }

  private static String format(double v) {
    return String.format(Locale.ROOT, "%.6g", v);
  }

  static boolean close(DataType type, double batched, double alone) {
    if (Double.isNaN(batched) || Double.isNaN(alone)) {
      return Double.isNaN(batched) && Double.isNaN(alone);
    }
    if (batched == alone) {
      return true; // also equal infinities
    }
    double atol;
    double rtol;
    switch (type) {
      case FP32, FP64 -> {
        atol = 1e-5;
        rtol = 1e-4;
      }
      case FP16 -> {
        atol = 1e-3;
        rtol = 1e-2;
      }
      case BF16 -> {
        atol = 1e-2;
        rtol = 2e-2;
      }
      default -> {
        return false; // integers and booleans are exact
      }
    }
    return Math.abs(batched - alone) <= atol + rtol * Math.abs(alone);
  }

  /** The input's dimensions after the batch, dynamic ones from the warm-up or 1. */
  private static Shape dims(TensorSpec spec, List<WarmupSample> warmup) {
    for (WarmupSample s : warmup) {
      WarmupInput in = s.inputs().get(spec.name());
      if (in != null && in.dims().isPresent() && spec.shape().accepts(in.dims().get())) {
        return in.dims().get();
      }
    }
    long[] dims = spec.shape().toArray();
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] < 0) {
        dims[i] = 1;
      }
    }
    return Shape.of(dims);
  }

  private static Tensor sample(TensorSpec spec, Shape shape, Random random) {
    int n = Math.toIntExact(shape.numElements());
    DataType type = spec.datatype();
    if (type == DataType.BYTES) {
      List<String> values = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        values.add(Integer.toString(random.nextInt(1000)));
      }
      return Tensor.ofStrings(spec.name(), shape, values);
    }
    ByteBuffer data =
        ByteBuffer.allocate(Math.multiplyExact(n, type.byteSize())).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n; i++) {
      switch (type) {
        case FP16 -> data.putShort(Float.floatToFloat16(random.nextFloat()));
        case BF16 -> data.putShort((short) (Float.floatToIntBits(random.nextFloat()) >>> 16));
        case FP32 -> data.putFloat(random.nextFloat());
        case FP64 -> data.putDouble(random.nextDouble());
        case BOOL, UINT8, INT8 -> data.put((byte) random.nextInt(2));
        case INT16 -> data.putShort((short) random.nextInt(2));
        case INT32 -> data.putInt(random.nextInt(2));
        case INT64 -> data.putLong(random.nextInt(2));
        default -> throw new IllegalArgumentException("cannot probe datatype " + type);
      }
    }
    return new Tensor(spec.name(), type, shape, data.flip());
  }

  /** Two tensors of one row each as one of two rows (the raw encodings simply follow). */
  private static Tensor concat(Tensor x, Tensor y) {
    ByteBuffer both = ByteBuffer.allocate(x.byteSize() + y.byteSize());
    both.put(x.data()).put(y.data()).flip();
    return new Tensor(x.name(), x.datatype(), x.shape().withFirst(2), both);
  }

  private static List<Tensor> run(OrtSession session, List<Tensor> inputs, List<TensorSpec> outputs)
      throws OrtException {
    OrtEnvironment env = OrtSessions.environment();
    Map<String, OnnxTensor> feed = new LinkedHashMap<>();
    try {
      for (Tensor t : inputs) {
        feed.put(t.name(), onnx(env, t));
      }
      List<String> names = outputs.stream().map(TensorSpec::name).toList();
      try (OrtSession.Result result = session.run(feed, new LinkedHashSet<>(names))) {
        List<Tensor> out = new ArrayList<>(outputs.size());
        for (TensorSpec spec : outputs) {
          OnnxValue value =
              result
                  .get(spec.name())
                  .orElseThrow(() -> new IllegalStateException("no output " + spec.name()));
          OnnxTensor tensor = (OnnxTensor) value;
          long[] shape = tensor.getInfo().getShape();
          ByteBuffer data =
              spec.datatype() == DataType.BYTES
                  ? OrtTensors.encodeStrings(
                      OrtTensors.strings(tensor), 0, Math.toIntExact(Shape.of(shape).numElements()))
                  : tensor.getByteBuffer();
          out.add(new Tensor(spec.name(), spec.datatype(), Shape.of(shape), data));
        }
        return out;
      }
    } finally {
      for (OnnxTensor t : feed.values()) {
        t.close();
      }
    }
  }

  private static OnnxTensor onnx(OrtEnvironment env, Tensor t) throws OrtException {
    long[] shape = t.shape().toArray();
    if (t.datatype() == DataType.BYTES) {
      String[] values = new String[Math.toIntExact(t.numElements())];
      OrtTensors.decodeStrings(t.data(), values, 0);
      return OnnxTensor.createTensor(env, values, shape);
    }
    ByteBuffer direct = OrtTensors.ensureDirect(null, t.byteSize());
    direct.put(t.data()).flip();
    return OrtTensors.wrap(env, direct, shape, OrtTensors.javaType(t.datatype()));
  }
}
