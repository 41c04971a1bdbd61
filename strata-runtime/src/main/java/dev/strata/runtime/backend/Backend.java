package dev.strata.runtime.backend;

import java.util.Set;

/**
 * An engine the runtime serves models with, chosen per model by its artifact format (a registry
 * variant's {@code format}, carried by the signed manifest) or by the {@code backend} / {@code
 * platform} of its configuration, as in Triton. The backend names the file a version directory
 * holds ({@code <model>/<version>/<modelFile>}), so that whoever installs a model (the cloud's and
 * the edge's reconcile core, through {@link dev.strata.runtime.install.ModelInstaller}) never knows
 * an engine's layout, and a format no backend serves is refused before anything is downloaded.
 *
 * <p>{@link OnnxRuntimeBackend} is the first. Adding an engine (llama.cpp for GGUF) means a new
 * implementation registered in {@link Backends} and its loader in the runtime; the cloud and edge
 * code only pass formats through.
 */
public interface Backend {
  /** Triton's {@code backend} name, e.g. {@code onnxruntime}. */
  String name();

  /** Triton's {@code platform} name reported in model metadata, e.g. {@code onnxruntime_onnx}. */
  String platform();

  /** The artifact formats this backend serves, as registry variants declare them (lower case). */
  Set<String> formats();

  /** The file name of a version's model in its version directory, e.g. {@code model.onnx}. */
  String modelFile();

  /**
   * Whether this backend is the one a configuration names by {@code backend} or {@code platform}.
   */
  default boolean isNamed(String nameOrPlatform) {
    return name().equals(nameOrPlatform) || platform().equals(nameOrPlatform);
  }
}
