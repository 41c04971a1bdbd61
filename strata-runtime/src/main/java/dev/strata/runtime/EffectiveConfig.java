package dev.strata.runtime;

import dev.strata.core.DataType;
import dev.strata.core.Shape;
import dev.strata.core.TensorSpec;
import dev.strata.modelconfig.Triton;
import dev.strata.runtime.ModelConfig.TensorConfig;
import dev.strata.runtime.ModelConfig.VersionPolicy;
import dev.strata.runtime.ModelConfig.WarmupInput;
import dev.strata.runtime.ModelConfig.WarmupSample;
import dev.strata.runtime.backend.OnnxRuntimeBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a loaded version actually runs with, written in Triton's model configuration schema (the
 * model configuration extension). It is read from the version at the time of asking: {@code
 * max_batch_size}, inputs and outputs come from its {@link ModelSignature} (whatever the loader
 * decided, configured or derived), instance count from its instances, the rest from the {@link
 * ModelConfig} it was loaded with and the runtime's defaults.
 */
final class EffectiveConfig {
  static final String PLATFORM = OnnxRuntimeBackend.INSTANCE.platform();
  static final String BACKEND = "onnxruntime";

  private EffectiveConfig() {}

  static Triton.ModelConfig of(ModelVersion version, int defaultMaxQueueSize) {
    ModelSignature s = version.signature;
    ModelConfig c = version.config;
    Triton.ModelConfig.Builder b =
        Triton.ModelConfig.newBuilder()
            .setName(version.model)
            .setPlatform(PLATFORM)
            .setBackend(BACKEND)
            .setVersionPolicy(policy(c.versionPolicy()))
            .setMaxBatchSize(s.maxBatchSize());
    for (TensorSpec in : s.inputs()) {
      b.addInput(
          Triton.ModelInput.newBuilder()
              .setName(in.name())
              .setDataType(dataType(in.datatype()))
              .addAllDims(dims(in.shape())));
    }
    for (int i = 0; i < s.outputs().size(); i++) {
      TensorSpec out = s.outputs().get(i);
      Triton.ModelOutput.Builder o =
          Triton.ModelOutput.newBuilder()
              .setName(out.name())
              .setDataType(dataType(out.datatype()))
              .addAllDims(dims(out.shape()));
      labelsFile(c, out.name()).ifPresent(o::setLabelFilename);
      b.addOutput(o);
    }
    if (s.batching()) {
      ModelConfig.DynamicBatching d = c.dynamicBatching();
      b.setDynamicBatching(
          Triton.ModelDynamicBatching.newBuilder()
              .addAllPreferredBatchSize(d.preferredBatchSizes())
              .setMaxQueueDelayMicroseconds(d.maxQueueDelayMicros())
              .setDefaultQueuePolicy(
                  Triton.ModelQueuePolicy.newBuilder()
                      .setMaxQueueSize(d.maxQueueSize().orElse(defaultMaxQueueSize))
                      .setDefaultTimeoutMicroseconds(d.defaultTimeoutMicros())
                      // a request's own timeout always wins in Strata
                      .setAllowTimeoutOverride(true)));
    }
    b.addInstanceGroup(
        Triton.ModelInstanceGroup.newBuilder()
            .setName(version.model + "_0")
            .setKind(Triton.ModelInstanceGroup.Kind.KIND_CPU)
            .setCount(version.instances().size()));
    c.instances()
        .intraOpThreads()
        .ifPresent(n -> b.putParameters(TritonConfigReader.INTRA_OP_THREADS, parameter(n)));
    if (c.instances().interOpThreads() != 1) {
      b.putParameters(
          TritonConfigReader.INTER_OP_THREADS, parameter(c.instances().interOpThreads()));
    }
    c.parameters()
        .forEach(
            (key, value) ->
                b.putParameters(
                    key, Triton.ModelParameter.newBuilder().setStringValue(value).build()));
    for (WarmupSample w : c.warmup()) {
      b.addModelWarmup(warmup(s, w));
    }
    return b.build();
  }

  private static Triton.ModelVersionPolicy policy(VersionPolicy p) {
    Triton.ModelVersionPolicy.Builder b = Triton.ModelVersionPolicy.newBuilder();
    switch (p) {
      case VersionPolicy.Latest l ->
          b.setLatest(
              Triton.ModelVersionPolicy.Latest.newBuilder().setNumVersions(l.numVersions()));
      case VersionPolicy.Specific sp ->
          b.setSpecific(
              Triton.ModelVersionPolicy.Specific.newBuilder().addAllVersions(sp.versions()));
      case VersionPolicy.All a -> b.setAll(Triton.ModelVersionPolicy.All.getDefaultInstance());
    }
    return b.build();
  }

  /** Triton's name for a datatype: {@code TYPE_FP32}, and {@code TYPE_STRING} for BYTES. */
  static Triton.DataType dataType(DataType t) {
    return t == DataType.BYTES ? Triton.DataType.TYPE_STRING : Triton.DataType.valueOf("TYPE_" + t);
  }

  private static List<Long> dims(Shape shape) {
    List<Long> out = new ArrayList<>(shape.rank());
    for (long d : shape.toArray()) {
      out.add(d);
    }
    return out;
  }

  /** The output's own labels file, else the model's. */
  private static Optional<String> labelsFile(ModelConfig c, String output) {
    for (TensorConfig t : c.outputs()) {
      if (t.name().equals(output) && t.labels().isPresent()) {
        return t.labels();
      }
    }
    return c.labels();
  }

  private static Triton.ModelParameter parameter(int value) {
    return Triton.ModelParameter.newBuilder().setStringValue(Integer.toString(value)).build();
  }

  /** A warm-up sample as it runs: every input, with its datatype and the dims it gets. */
  private static Triton.ModelWarmup warmup(ModelSignature s, WarmupSample w) {
    Triton.ModelWarmup.Builder b =
        Triton.ModelWarmup.newBuilder()
            .setName(w.name())
            .setBatchSize(s.batching() ? w.batchSize() : 1)
            .setCount(w.count());
    for (TensorSpec in : s.inputs()) {
      WarmupInput how = w.inputs().getOrDefault(in.name(), WarmupInput.ZERO);
      Triton.ModelWarmup.Input.Builder i =
          Triton.ModelWarmup.Input.newBuilder()
              .setDataType(dataType(in.datatype()))
              .addAllDims(dims(how.dims().orElseGet(() -> Warmup.concrete(in.shape()))));
      if (how.random()) {
        i.setRandomData(true);
      } else {
        i.setZeroData(true);
      }
      b.putInputs(in.name(), i.build());
    }
    return b.build();
  }
}
