package dev.strata.runtime;

import static java.util.Objects.requireNonNull;

import dev.strata.preprocess.ImageCodec;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/**
 * The runtime's configuration: where the model repository is, the defaults a model's {@code
 * config.json} may override, and the services the runtime uses.
 *
 * @param repository the model repository ({@code <repository>/<model>/<version>/model.onnx})
 * @param defaultMaxBatchSize the {@code max_batch_size} of a model without one in its config whose
 *     ONNX inputs and outputs all have a dynamic first dimension (Triton's auto-complete); default
 *     32
 * @param defaultMaxQueueSize the queue bound of a model without {@code max_queue_size}; default
 *     1024
 * @param defaultInstanceCount instances (sessions with a worker thread each) per version; default 1
 * @param defaultIntraOpThreads ONNX Runtime intra-op threads per instance; 0 (the default) shares
 *     the machine's processors among the model's instances
 * @param cpuArena whether sessions use ONNX Runtime's CPU arena allocator; default false, so that
 *     unloading a model gives its memory back (see the README)
 * @param strictReadiness whether {@link InferenceService#ready()} also needs every model found at
 *     start to have loaded successfully (Triton's {@code --strict-readiness}); default false: a
 *     model that fails to load is reported UNAVAILABLE and does not hold readiness back
 * @param drainTimeout how long {@link InferenceService#close()}, unload and reload wait for queued
 *     and running requests; default 30 s
 * @param maxImagePixels the most pixels a raw image sent to a model with a preprocessing pipeline
 *     may have, read from the image's header before it is decoded (a larger one is refused with
 *     INVALID_ARGUMENT); default {@link ImageCodec#DEFAULT_MAX_PIXELS} (4096 × 4096), which takes a
 *     4K frame or a 12 MP photo and bounds one image's decoding to about 120 MB
 * @param meterRegistry where metrics go
 * @param clock wall-clock time (the statistics' {@code last_inference}); durations use {@link
 *     System#nanoTime()}
 */
public record RuntimeConfig(
    Path repository,
    int defaultMaxBatchSize,
    int defaultMaxQueueSize,
    int defaultInstanceCount,
    int defaultIntraOpThreads,
    boolean cpuArena,
    boolean strictReadiness,
    Duration drainTimeout,
    long maxImagePixels,
    MeterRegistry meterRegistry,
    Clock clock) {

  public RuntimeConfig {
    requireNonNull(repository, "repository");
    if (defaultMaxBatchSize < 0) {
      throw new IllegalArgumentException(
          "defaultMaxBatchSize: " + defaultMaxBatchSize + " (expected: >= 0)");
    }
    if (defaultMaxQueueSize < 1) {
      throw new IllegalArgumentException(
          "defaultMaxQueueSize: " + defaultMaxQueueSize + " (expected: > 0)");
    }
    if (defaultInstanceCount < 1) {
      throw new IllegalArgumentException(
          "defaultInstanceCount: " + defaultInstanceCount + " (expected: > 0)");
    }
    if (defaultIntraOpThreads < 0) {
      throw new IllegalArgumentException(
          "defaultIntraOpThreads: " + defaultIntraOpThreads + " (expected: >= 0)");
    }
    requireNonNull(drainTimeout, "drainTimeout");
    if (drainTimeout.isNegative()) {
      throw new IllegalArgumentException("drainTimeout: " + drainTimeout + " (expected: >= 0)");
    }
    if (maxImagePixels < 1) {
      throw new IllegalArgumentException("maxImagePixels: " + maxImagePixels + " (expected: > 0)");
    }
    requireNonNull(meterRegistry, "meterRegistry");
    requireNonNull(clock, "clock");
  }

  /** The defaults for a repository, with a private in-memory meter registry. */
  public static RuntimeConfig of(Path repository) {
    return builder(repository).build();
  }

  public static Builder builder(Path repository) {
    return new Builder(repository);
  }

  /** A builder starting from this configuration. */
  public Builder toBuilder() {
    return new Builder(repository)
        .defaultMaxBatchSize(defaultMaxBatchSize)
        .defaultMaxQueueSize(defaultMaxQueueSize)
        .defaultInstanceCount(defaultInstanceCount)
        .defaultIntraOpThreads(defaultIntraOpThreads)
        .cpuArena(cpuArena)
        .strictReadiness(strictReadiness)
        .drainTimeout(drainTimeout)
        .maxImagePixels(maxImagePixels)
        .meterRegistry(meterRegistry)
        .clock(clock);
  }

  /** Builds a {@link RuntimeConfig}; every setting starts at its documented default. */
  public static final class Builder {
    private final Path repository;
    private int defaultMaxBatchSize = 32;
    private int defaultMaxQueueSize = 1024;
    private int defaultInstanceCount = 1;
    private int defaultIntraOpThreads = 0;
    private boolean cpuArena = false;
    private boolean strictReadiness = false;
    private Duration drainTimeout = Duration.ofSeconds(30);
    private long maxImagePixels = ImageCodec.DEFAULT_MAX_PIXELS;
    private MeterRegistry meterRegistry;
    private Clock clock = Clock.systemUTC();

    private Builder(Path repository) {
      this.repository = requireNonNull(repository, "repository");
    }

    public Builder defaultMaxBatchSize(int value) {
      this.defaultMaxBatchSize = value;
      return this;
    }

    public Builder defaultMaxQueueSize(int value) {
      this.defaultMaxQueueSize = value;
      return this;
    }

    public Builder defaultInstanceCount(int value) {
      this.defaultInstanceCount = value;
      return this;
    }

    public Builder defaultIntraOpThreads(int value) {
      this.defaultIntraOpThreads = value;
      return this;
    }

    public Builder cpuArena(boolean value) {
      this.cpuArena = value;
      return this;
    }

    public Builder strictReadiness(boolean value) {
      this.strictReadiness = value;
      return this;
    }

    public Builder drainTimeout(Duration value) {
      this.drainTimeout = requireNonNull(value, "drainTimeout");
      return this;
    }

    public Builder maxImagePixels(long value) {
      this.maxImagePixels = value;
      return this;
    }

    public Builder meterRegistry(MeterRegistry value) {
      this.meterRegistry = requireNonNull(value, "meterRegistry");
      return this;
    }

    public Builder clock(Clock value) {
      this.clock = requireNonNull(value, "clock");
      return this;
    }

    public RuntimeConfig build() {
      return new RuntimeConfig(
          repository,
          defaultMaxBatchSize,
          defaultMaxQueueSize,
          defaultInstanceCount,
          defaultIntraOpThreads,
          cpuArena,
          strictReadiness,
          drainTimeout,
          maxImagePixels,
          meterRegistry != null ? meterRegistry : new SimpleMeterRegistry(),
          clock);
    }
  }
}
