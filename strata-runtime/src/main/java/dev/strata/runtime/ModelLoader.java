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
    ModelSignature signature = signature(model, dir, file, modelConfig);
    ModelConfig.DynamicBatching batching = modelConfig.dynamicBatching();
    BatchPolicy policy =
        new BatchPolicy(
            signature.maxBatchSize(),
            batching.maxQueueDelayMicros(),
            batching.preferredBatchSizes());
    int capacity = batching.maxQueueSize().orElse(config.defaultMaxQueueSize());
    if (capacity == 0) {
      capacity = Integer.MAX_VALUE;
    }
    int count = modelConfig.instances().count().orElse(config.defaultInstanceCount());
    SessionSettings settings =
        new SessionSettings(
            intraOpThreads(modelConfig, count),
            modelConfig.instances().interOpThreads(),
            config.cpuArena());
    String label = Long.toString(number);
    VersionMetrics meters =
        metrics.orElseGet(
            () -> new VersionMetrics(config.meterRegistry(), model, label, policy.maxRows));
    ModelVersion version =
        new ModelVersion(
            model,
            number,
            signature,
            policy,
            capacity,
            batching.defaultTimeoutMicros(),
            fingerprint,
            meters,
            timer,
            config.clock());
    version.ownsMetrics(metrics.isEmpty());
    List<ModelInstance> instances = new ArrayList<>(count);
    try {
      for (int i = 0; i < count; i++) {
        instances.add(instance(version, file, settings, i));
      }
      version.instances(instances);
      warmUp(model, version, modelConfig.warmup());
    } catch (RuntimeException e) {
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

  private ModelSignature signature(String model, Path dir, Path file, ModelConfig modelConfig) {
    List<TensorSpec> inputs;
    List<TensorSpec> outputs;
    Map<String, String> metadata;
    Map<String, List<String>> dimNames;
    try {
      ModelProto proto = OnnxModels.readDescription(file);
      inputs = OnnxModels.inputs(proto);
      outputs = OnnxModels.outputs(proto);
      metadata = OnnxModels.metadata(proto);
      dimNames = OnnxModels.inputDimNames(proto);
    } catch (IOException e) {
      throw new StrataException(
          ErrorCode.INVALID_ARGUMENT, file + ": cannot read (" + e.getMessage() + ")", e);
    }
    return ModelSignature.resolve(
        model,
        modelConfig,
        inputs,
        outputs,
        config.defaultMaxBatchSize(),
        labels -> repository.labels(dir, labels),
        metadata,
        dimNames,
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

  private static ModelInstance instance(
      ModelVersion version, Path file, SessionSettings settings, int index) {
    OrtSession session = OrtSessions.open(file, settings);
    try {
      return new ModelInstance(version, session, index);
    } catch (OrtException | RuntimeException e) {
      try {
        session.close();
      } catch (OrtException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e instanceof OrtException oe
          ? new StrataException(OrtSessions.errorCode(oe), oe.getMessage(), oe)
          : (RuntimeException) e;
    }
  }

  /** Runs every warm-up sample {@code count} times on every instance. */
  private static void warmUp(String model, ModelVersion version, List<WarmupSample> samples) {
    for (WarmupSample sample : samples) {
      InferenceRequest request = Warmup.request(model, version.signature, sample);
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
