package dev.strata.cli.demo;

import static java.util.Objects.requireNonNull;

import dev.strata.control.ConfidenceMeasure;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What {@code strata demo} runs with.
 *
 * @param dataDir where the demo keeps its state: the cloud's registry and artifacts, the edges'
 *     data directories, the admin token, the log
 * @param modelsDir the reference models ({@code fashion-cnn/model.onnx}, {@code
 *     fashion-edge/model.onnx})
 * @param dataSetDir the shipped Fashion-MNIST subset (its 1,000 test images)
 * @param cloudPort the cloud's HTTP port; 0 for a free one (gRPC always takes a free one)
 * @param images how many held-out images to measure on; 0 for all of them (half the test set)
 * @param prompts how many held-out prompts go through the language-model cascade; 0 skips it
 * @param concurrency how many clients send at once
 * @param warmup requests per path sent before measuring (calibration images, not counted)
 * @param measure the cascade's confidence measure
 * @param target what the threshold is calibrated for
 * @param seed seeds the split of the test images into calibration and measurement halves
 * @param adminToken the cloud's admin token; empty to use (or make) {@code dataDir/admin-token}
 */
record DemoConfig(
    Path dataDir,
    Path modelsDir,
    Path dataSetDir,
    int cloudPort,
    int images,
    int prompts,
    int concurrency,
    int warmup,
    ConfidenceMeasure measure,
    CascadeTarget target,
    long seed,
    Optional<String> adminToken,
    boolean int8Edge) {
  DemoConfig {
    requireNonNull(dataDir, "dataDir");
    requireNonNull(modelsDir, "modelsDir");
    requireNonNull(dataSetDir, "dataSetDir");
    requireNonNull(measure, "measure");
    requireNonNull(target, "target");
    requireNonNull(adminToken, "adminToken");
    if (cloudPort < 0 || cloudPort > 65535) {
      throw new IllegalArgumentException("--cloud-port: " + cloudPort + " (expected: 0-65535)");
    }
    if (images < 0) {
      throw new IllegalArgumentException("--images: " + images + " (expected: >= 0, 0 for all)");
    }
    if (prompts < 0) {
      throw new IllegalArgumentException("--prompts: " + prompts + " (expected: >= 0, 0 to skip)");
    }
    if (concurrency < 1 || concurrency > 64) {
      throw new IllegalArgumentException("--concurrency: " + concurrency + " (expected: 1-64)");
    }
    if (warmup < 0) {
      throw new IllegalArgumentException("--warmup: " + warmup + " (expected: >= 0)");
    }
  }

  Path cloudDir() {
    return dataDir.resolve("cloud");
  }

  Path adminTokenFile() {
    return dataDir.resolve("admin-token");
  }

  Path logFile() {
    return dataDir.resolve("demo.log");
  }

  Path samplesDir() {
    return dataDir.resolve("samples");
  }

  /** The shipped prompts of the language-model step (public-domain KJV passages). */
  Path promptsFile() {
    return dataSetDir
        .toAbsolutePath()
        .getParent()
        .resolve("lm-prompts")
        .resolve("kjv-held-out.jsonl");
  }

  Path workDir() {
    return dataDir.resolve("work");
  }
}
