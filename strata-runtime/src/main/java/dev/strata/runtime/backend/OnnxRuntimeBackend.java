package dev.strata.runtime.backend;

import java.util.Set;

/** ONNX Runtime: ONNX models ({@code model.onnx}), Triton's {@code onnxruntime_onnx} platform. */
public final class OnnxRuntimeBackend implements Backend {
  /** The one instance. */
  public static final OnnxRuntimeBackend INSTANCE = new OnnxRuntimeBackend();

  private OnnxRuntimeBackend() {}

  @Override
  public String name() {
    return "onnxruntime";
  }

  @Override
  public String platform() {
    return "onnxruntime_onnx";
  }

  @Override
  public Set<String> formats() {
    return Set.of("onnx");
  }

  @Override
  public String modelFile() {
    return "model.onnx";
  }

  @Override
  public String toString() {
    return name();
  }
}
