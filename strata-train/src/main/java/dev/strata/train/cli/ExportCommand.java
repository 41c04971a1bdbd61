package dev.strata.train.cli;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.strata.core.StrataException;
import dev.strata.llm.gguf.GgmlType;
import dev.strata.onnx.OnnxModels;
import dev.strata.train.data.DataSources;
import dev.strata.train.data.Features;
import dev.strata.train.data.PreparedData;
import dev.strata.train.engine.TrainConfig;
import dev.strata.train.export.ModelExport;
import dev.strata.train.lm.GgufExport;
import dev.strata.train.lm.TrainedLanguageModel;
import dev.strata.train.training.ModelTrainer;
import dev.strata.train.training.TrainedModel;
import dev.strata.train.training.TrainingListener;
import dev.strata.train.workflow.TrainingWorkflow;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code strata export}: writes a checkpoint's model as a verified ONNX file. */
@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    description = {
      "Export a training checkpoint (DIR/checkpoint of 'strata train') as an ONNX model with its",
      "labels, fitted preprocessing, provenance and (if DIR/metrics.json exists) metrics.",
      "The export is verified: ONNX Runtime must match DJL within 1e-4 on sample inputs (from",
      "--data when given, else seeded random inputs), or nothing is written.",
      "",
      "--format gguf exports a language model ('strata train' on a language_model spec) for",
      "llama.cpp, its matrices as --type f32, f16, q8_0 or q4_0, with the tokenizer and the",
      "ChatML template in its metadata. It is checked in llama.cpp first: the same tokens as the",
      "model's tokenizer, and in f32 the same greedy continuation as DJL on every prompt, or",
      "nothing is written; for the other types the agreement is reported."
    })
public final class ExportCommand implements Callable<Integer> {
  @Option(
      names = "--checkpoint",
      required = true,
      paramLabel = "DIR",
      description =
          "A checkpoint directory, or a training output directory containing one (--format"
              + " gguf: the output directory of a language model's training).")
  Path checkpoint;

  @Option(names = "--out", required = true, paramLabel = "FILE", description = "model.onnx path.")
  Path out;

  @Option(names = "--data", paramLabel = "DATA", description = "Data to verify the export on.")
  Path data;

  @Option(
      names = "--format",
      defaultValue = "onnx",
      paramLabel = "FORMAT",
      description = "onnx (classifiers, regressors) or gguf (language models). Default: onnx.")
  String format;

  @Option(
      names = "--type",
      defaultValue = "f32",
      paramLabel = "TYPE",
      description = "GGUF only: f32, f16, q8_0 or q4_0 (default: f32).")
  String type;

  @Option(
      names = "--prompt",
      paramLabel = "TEXT",
      description = "GGUF only: a prompt to check the export on (repeatable; default: a few).")
  List<String> prompts;

  @Mixin CommonOptions common;

  @Override
  public Integer call() throws Exception {
    if (format.equalsIgnoreCase("gguf")) {
      return exportGguf();
    }
    if (!format.equalsIgnoreCase("onnx")) {
      throw StrataException.invalid("--format: '%s' (expected: onnx or gguf)", format);
    }
    Path dir =
        Files.isDirectory(checkpoint.resolve("checkpoint"))
            ? checkpoint.resolve("checkpoint")
            : checkpoint;
    ModelTrainer trainer =
        new ModelTrainer(common.config(), Clock.systemUTC(), new TrainingListener() {});
    try (TrainedModel model = trainer.restore(dir)) {
      Features sample;
      if (data != null) {
        var loaded = DataSources.load(data, model.spec());
        sample = PreparedData.features(model.pipeline(), loaded.test().orElse(loaded.train()));
      } else {
        sample = randomSample(model, TrainingWorkflow.VERIFY_SAMPLES);
      }
      Path metrics = dir.getParent() == null ? null : dir.getParent().resolve("metrics.json");
      Optional<String> metricsJson =
          metrics != null && Files.exists(metrics)
              ? Optional.of(
                  dev.strata.train.eval.TrainJson.mapper()
                      .readTree(Files.readString(metrics, StandardCharsets.UTF_8))
                      .toString())
              : Optional.empty();
      ModelProto proto =
          ModelExport.export(
              model, sample, TrainingWorkflow.VERIFY_SAMPLES, metricsJson, Clock.systemUTC());
      OnnxModels.write(proto, out);
      System.out.printf(
          "exported %s (%d parameters) to %s%n", model.spec().name(), model.parameterCount(), out);
    }
    return 0;
  }

  private int exportGguf() throws Exception {
    GgmlType t =
        switch (type.toLowerCase(Locale.ROOT)) {
          case "f32" -> GgmlType.F32;
          case "f16" -> GgmlType.F16;
          case "q8_0" -> GgmlType.Q8_0;
          case "q4_0" -> GgmlType.Q4_0;
          default ->
              throw StrataException.invalid(
                  "--type: '%s' (expected: f32, f16, q8_0 or q4_0)", type);
        };
    TrainConfig config = common.config();
    try (TrainedLanguageModel model = TrainedLanguageModel.load(config, checkpoint)) {
      GgufExport.Report r =
          GgufExport.export(
              model,
              t,
              out,
              prompts == null || prompts.isEmpty() ? GgufExport.DEFAULT_PROMPTS : prompts,
              config.intraOpThreads());
      System.out.printf(
          Locale.ROOT,
          "exported %s (%d parameters) as %s to %s (%d bytes): llama.cpp's greedy continuation"
              + " equals DJL's on %d of %d prompts, %.1f%% of tokens%n",
          model.spec().name(),
          model.parameterCount(),
          t,
          out,
          r.bytes(),
          r.identical(),
          r.prompts(),
          100 * r.tokenAgreement());
    }
    return 0;
  }

  private static Features randomSample(TrainedModel model, int n) {
    int per = model.pipeline().featureSize();
    Random rnd = new Random(1);
    float[] x = new float[n * per];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rnd.nextGaussian();
    }
    return new Features(x, model.pipeline().featureShape(), new int[n], new float[0]);
  }
}
