package dev.strata.runtime;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.strata.core.ErrorCode;
import dev.strata.core.InferenceRequest;
import dev.strata.core.StrataException;
import dev.strata.core.TensorSpec;
import dev.strata.onnx.OnnxModels;
import dev.strata.runtime.ModelConfig.WarmupSample;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds a ready-to-start {@link ModelVersion} from the repository: reads the ONNX file's
 * signature, reconciles it with the config, opens one session per instance, and runs the warm-up
 * samples on every instance. Anything that fails closes what was opened.
 */
final class ModelLoader {
  private static final Logger LOG = LoggerFactory.getLogger(ModelLoader.class);

  private final RuntimeConfig config;
  private final ModelRepository repository;
  private final ScheduledExecutorService timer;

  ModelLoader(RuntimeConfig config, ModelRepository repository, ScheduledExecutorService timer) {
    this.config = config;
    this.repository = repository;
    this.timer = timer;
  }

  /**
   * Loads one version.
   *
   * @param metrics the meters of the version this one replaces (same number), to keep them
   * @throws StrataException INVALID_ARGUMENT (or the code ONNX Runtime's failure maps to) with the
   *     reason
   */
  ModelVersion load(
      String model,
      Path dir,
      long number,
      ModelConfig modelConfig,
      Object fingerprint,
      Optional<VersionMetrics> metrics) {
    long start = System.nanoTime();
    Path file = repository.modelFile(dir, number);
    OnnxDescription onnx = describe(file);
    ModelSignature signature =
        signature(model, dir, onnx, modelConfig, config.defaultMaxBatchSize());
    int count = modelConfig.instances().count().orElse(config.defaultInstanceCount());
    SessionSettings settings =
        new SessionSettings(
            intraOpThreads(modelConfig, count),
            modelConfig.instances().interOpThreads(),
            config.cpuArena());
    Optional<OrtSession> first = Optional.empty();
    Optional<String> batchingOff = Optional.empty();
    if (modelConfig.maxBatchSize().isEmpty() && signature.batching()) {
      // Derived, not configured: prove it batches before serving it so (one probe per version).
      OrtSession session = OrtSessions.open(file, settings);
      first = Optional.of(session);
      try {
        batchingOff = BatchProbe.probe(session, signature, modelConfig.warmup());
        if (batchingOff.isPresent()) {
          signature = signature(model, dir, onnx, modelConfig, 0);
          LOG.warn(
              "model '{}' version {}: serving with max_batch_size 0, the derived {} failed the"
                  + " batching probe: {} (set max_batch_size in the config to batch anyway)",
              model,
              number,
              config.defaultMaxBatchSize(),
              batchingOff.get());
        }
      } catch (RuntimeException e) {
        closeQuietly(session, e);
        throw e;
      }
    }
    ModelConfig.DynamicBatching batching = modelConfig.dynamicBatching();
    BatchPolicy policy;
    try {
      policy =
          new BatchPolicy(
              signature.maxBatchSize(),
              batching.maxQueueDelayMicros(),
              signature.batching() ? batching.preferredBatchSizes() : List.of());
    } catch (RuntimeException e) {
      first.ifPresent(session -> closeQuietly(session, e));
      throw e;
    }
    int capacity = batching.maxQueueSize().orElse(config.defaultMaxQueueSize());
    if (capacity == 0) {
      capacity = Integer.MAX_VALUE;
    }
    String label = Long.toString(number);
    int maxRows = policy.maxRows;
    VersionMetrics meters =
        metrics.orElseGet(() -> new VersionMetrics(config.meterRegistry(), model, label, maxRows));
    ModelVersion version =
        new ModelVersion(
            model,
            number,
            signature,
            modelConfig,
            policy,
            capacity,
            batching.defaultTimeoutMicros(),
            fingerprint,
            meters,
            timer,
            config.clock(),
            batchingOff);
    version.ownsMetrics(metrics.isEmpty());
    List<ModelInstance> instances = new ArrayList<>(count);
    try {
      for (int i = 0; i < count; i++) {
        if (i == 0 && first.isPresent()) {
          OrtSession session = first.get();
          first = Optional.empty();
          instances.add(instance(version, session, i));
        } else {
          instances.add(instance(version, OrtSessions.open(file, settings), i));
        }
      }
      version.instances(instances);
      warmUp(model, version, modelConfig.warmup());
    } catch (RuntimeException e) {
      first.ifPresent(session -> closeQuietly(session, e));
      version.instances(instances);
      version.close();
      throw e;
    }
    long took = System.nanoTime() - start;
    meters.loaded(took);
    LOG.info(
        "loaded model '{}' version {} ({} instance(s), {} intra-op thread(s), max_batch_size {}) in"
            + " {} ms",
        model,
        number,
        count,
        settings.intraOpThreads(),
        signature.maxBatchSize(),
        took / 1_000_000);
    return version;
  }

  /** What the ONNX file says of itself, read once per load. */
  private record OnnxDescription(
      List<TensorSpec> inputs,
      List<TensorSpec> outputs,
      Map<String, String> metadata,
      Map<String, List<String>> dimNames) {}

  private static OnnxDescription describe(Path file) {
    try {
      ModelProto proto = OnnxModels.readDescription(file);
      return new OnnxDescription(
          OnnxModels.inputs(proto),
          OnnxModels.outputs(proto),
          OnnxModels.metadata(proto),
          OnnxModels.inputDimNames(proto));
    } catch (IOException e) {
      throw new StrataException(
          ErrorCode.INVALID_ARGUMENT, file + ": cannot read (" + e.getMessage() + ")", e);
    }
  }

  private ModelSignature signature(
      String model,
      Path dir,
      OnnxDescription onnx,
      ModelConfig modelConfig,
      int defaultMaxBatchSize) {
    return ModelSignature.resolve(
        model,
        modelConfig,
        onnx.inputs(),
        onnx.outputs(),
        defaultMaxBatchSize,
        labels -> repository.labels(dir, labels),
        onnx.metadata(),
        onnx.dimNames(),
        config.maxImagePixels());
  }

  private int intraOpThreads(ModelConfig modelConfig, int count) {
    int configured = modelConfig.instances().intraOpThreads().orElse(0);
    if (configured > 0) {
      return configured;
    }
    if (config.defaultIntraOpThreads() > 0) {
      return config.defaultIntraOpThreads();
    }
    return Math.max(1, Runtime.getRuntime().availableProcessors() / count);
  }

  /** An instance over an open session, which it owns from then on (closed here if it fails). */
  private static ModelInstance instance(ModelVersion version, OrtSession session, int index) {
    try {
      return new ModelInstance(version, session, index);
    } catch (OrtException | RuntimeException e) {
      closeQuietly(session, e);
      throw e instanceof OrtException oe
          ? new StrataException(OrtSessions.errorCode(oe), oe.getMessage(), oe)
          : (RuntimeException) e;
    }
  }

  private static void closeQuietly(OrtSession session, Exception cause) {
    try {
      session.close();
    } catch (OrtException suppressed) {
      cause.addSuppressed(suppressed);
    }
  }

  /** Runs every warm-up sample {@code count} times on every instance. */
  private static void warmUp(String model, ModelVersion version, List<WarmupSample> samples) {
    for (WarmupSample sample : samples) {
      InferenceRequest request =
          Warmup.request(model, version.signature, sample, version.batchingOff.isPresent());
      for (ModelInstance instance : version.instances()) {
        for (int c = 0; c < sample.count(); c++) {
          Pending p = new Pending(request, System.nanoTime());
          version.signature.validate(p);
          Batch batch = new Batch(1);
          batch.add(p);
          try {
            instance.run(batch);
          } catch (OrtException e) {
            throw new StrataException(
                OrtSessions.errorCode(e),
                "model '"
                    + model
                    + "' version "
                    + version.label
                    + ": warm-up '"
                    + sample.name()
                    + "' failed ("
                    + e.getMessage()
                    + ")",
                e);
          }
        }
      }
    }
  }
}
