package dev.strata.compress.distill;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.strata.core.StrataException;
import dev.strata.train.training.Distillation;
import java.nio.FloatBuffer;
import java.util.Map;

/**
 * A teacher run in ONNX Runtime: any classifier taking the student's preprocessed input. When its
 * output is a softmax (as Strata's exported classifiers are), the log of the probabilities stands
 * in for the logits: {@code softmax(log p / T)} equals {@code softmax(z / T)} for any logits {@code
 * z} that give {@code p}.
 */
public final class OnnxTeacher implements Distillation.Teacher, AutoCloseable {
  private static final float TINY = 1e-30f;

  private final OrtEnvironment env = OrtEnvironment.getEnvironment();
  private final OrtSession session;
  private final String input;
  private final long[] sample;
  private final int sampleSize;
  private final boolean probabilities;
  private final int classes;

  public OnnxTeacher(ModelProto model, long[] sample, int classes, int threads) {
    this.sample = sample.clone();
    this.sampleSize = Math.toIntExact(java.util.Arrays.stream(sample).reduce(1, (a, b) -> a * b));
    this.classes = classes;
    this.input = model.getGraph().getInput(0).getName();
    this.probabilities = endsInSoftmax(model);
    try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
      opts.setIntraOpNumThreads(threads);
      this.session = env.createSession(model.toByteArray(), opts);
    } catch (OrtException e) {
      throw StrataException.invalid(
          "the teacher does not load in ONNX Runtime (%s)", e.getMessage());
    }
  }

  /** Whether the teacher's first output is a softmax (possibly through Identity nodes). */
  static boolean endsInSoftmax(ModelProto model) {
    String name = model.getGraph().getOutput(0).getName();
    for (int hops = 0; hops < 8; hops++) {
      NodeProto producer = null;
      for (NodeProto n : model.getGraph().getNodeList()) {
        if (n.getOutputList().contains(name)) {
          producer = n;
        }
      }
      if (producer == null) {
        return false;
      }
      switch (producer.getOpType()) {
        case "Softmax" -> {
          return true;
        }
        case "Identity" -> name = producer.getInput(0);
        default -> {
          return false;
        }
      }
    }
    return false;
  }

  public boolean givesProbabilities() {
    return probabilities;
  }

  @Override
  public float[] logits(float[] batch, int n) {
    long[] shape = new long[sample.length + 1];
    shape[0] = n;
    System.arraycopy(sample, 0, shape, 1, sample.length);
    try (OnnxTensor x =
            OnnxTensor.createTensor(env, FloatBuffer.wrap(batch, 0, n * sampleSize), shape);
        OrtSession.Result r = session.run(Map.of(input, x))) {
      OnnxTensor y = (OnnxTensor) r.get(0);
      long[] ys = y.getInfo().getShape();
      if (ys.length != 2 || ys[0] != n || ys[1] != classes) {
        throw StrataException.invalid(
            "the teacher outputs %s for a batch of %d (expected: [%d, %d], one score per class)",
            java.util.Arrays.toString(ys), n, n, classes);
      }
      float[] out = new float[n * classes];
      y.getFloatBuffer().get(out);
      if (probabilities) {
        for (int i = 0; i < out.length; i++) {
          out[i] = (float) Math.log(Math.max(out[i], TINY));
        }
      }
      return out;
    } catch (OrtException e) {
      throw StrataException.invalid("the teacher failed on a batch (%s)", e.getMessage());
    }
  }

  @Override
  public void close() {
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException(e);
    }
  }
}
