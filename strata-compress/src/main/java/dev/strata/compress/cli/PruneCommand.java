package dev.strata.compress.cli;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.strata.compress.distill.OnnxTeacher;
import dev.strata.compress.prune.LayerWeights;
import dev.strata.compress.prune.MagnitudePruning;
import dev.strata.compress.prune.StructuredPruning;
import dev.strata.core.AtomicFiles;
import dev.strata.core.StrataException;
import dev.strata.onnx.OnnxModels;
import dev.strata.preprocess.FittedPipeline;
import dev.strata.preprocess.ModelLabels;
import dev.strata.train.cli.CommonOptions;
import dev.strata.train.data.DataSources;
import dev.strata.train.data.Features;
import dev.strata.train.data.PreparedData;
import dev.strata.train.eval.EvaluationReport;
import dev.strata.train.eval.OnnxModelEvaluator;
import dev.strata.train.eval.TrainJson;
import dev.strata.train.export.ModelExport;
import dev.strata.train.model.Networks;
import dev.strata.train.spec.LayerSpec;
import dev.strata.train.spec.TrainingOptions;
import dev.strata.train.spec.TrainingSpec;
import dev.strata.train.training.Distillation;
import dev.strata.train.training.ModelTrainer;
import dev.strata.train.training.ProgressBar;
import dev.strata.train.training.StepHook;
import dev.strata.train.training.TrainedModel;
import dev.strata.train.training.TrainingListener;
import dev.strata.train.workflow.TrainingWorkflow;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.zip.Deflater;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code strata compress prune}: magnitude pruning of a trained network, fine-tuned. */
@Command(
    name = "prune",
    mixinStandardHelpOptions = true,
    description = {
      "Prune a network trained by strata train and fine-tune it with the DJL trainer on its data.",
      "Unstructured (default): the smallest-magnitude convolution and linear weights are zeroed",
      "on a gradual schedule over the first two thirds of the fine-tuning steps and kept at zero",
      "(one threshold over all layers, or --scope layer). --structured: the weakest whole Conv",
      "filters and hidden Linear units are removed with their consumers' input channels, giving",
      "a smaller dense model. Both models are evaluated on the data's test part; a result that",
      "loses more than --max-accuracy-drop is not written."
    })
public final class PruneCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  /** Where the network and its weights come from. */
  static final class Source {
    @Option(
        names = "--model",
        required = true,
        paramLabel = "M.onnx",
        description = "A model exported by strata train (its spec is in its provenance).")
    Path model;

    @Option(
        names = "--checkpoint",
        required = true,
        paramLabel = "DIR",
        description = "A training checkpoint directory (strata train's OUT/checkpoint).")
    Path checkpoint;
  }

  @ArgGroup(multiplicity = "1")
  Source source;

  @Option(
      names = "--data",
      required = true,
      paramLabel = "DATA",
      description = "The data set it was trained on (fine-tuning; its test part evaluates).")
  Path data;

  @Option(names = "--out", required = true, paramLabel = "OUT.onnx", description = "The result.")
  Path out;

  @Option(
      names = "--sparsity",
      required = true,
      paramLabel = "S",
      description = "Fraction of weights (or, --structured, of filters and units) removed.")
  double sparsity;

  @Option(names = "--structured", description = "Remove whole filters and units.")
  boolean structured;

  @Option(
      names = "--scope",
      paramLabel = "global|layer",
      defaultValue = "global",
      description =
          "Unstructured: one magnitude threshold over all layers, or each layer pruned to"
              + " --sparsity (default: ${DEFAULT-VALUE}).")
  String scope;

  @Option(
      names = "--epochs",
      paramLabel = "N",
      defaultValue = "4",
      description = "Fine-tuning epochs (default: ${DEFAULT-VALUE}; 0 with --structured: none).")
  int epochs;

  @Option(
      names = "--learning-rate",
      paramLabel = "LR",
      description =
          "Fine-tuning's base rate, cosine-decayed (default: a tenth of the spec's rate).")
  Double learningRate;

  @Option(
      names = "--prune-steps",
      paramLabel = "N",
      defaultValue = "16",
      description = "Unstructured: mask updates along the schedule (default: ${DEFAULT-VALUE}).")
  int pruneSteps;

  @Option(
      names = "--max-accuracy-drop",
      paramLabel = "POINTS",
      description = "Refuse a result that loses more test accuracy than this (percentage points).")
  Double maxAccuracyDrop;

  @Option(
      names = "--teacher",
      paramLabel = "T.onnx",
      description =
          "Fine-tune with knowledge distillation from this model (e.g. the unpruned parent) as"
              + " strata compress distill does.")
  Path teacher;

  @Option(names = "--json", paramLabel = "FILE", description = "Also write the report as JSON.")
  Path json;

  @Option(names = "--quiet", description = "No progress bar.")
  boolean quiet;

  @Mixin DistillationOptions distillationOptions;

  @Mixin CommonOptions common;

  @Mixin PublishOptions publishing;

  @Override
  public Integer call() throws Exception {
    PrintWriter w = spec.commandLine().getOut();
    if (!(sparsity > 0 && sparsity < 1)) {
      throw StrataException.invalid("--sparsity %s (expected: 0 < S < 1, e.g. 0.5)", sparsity);
    }
    if (epochs < 0 || (epochs == 0 && !structured)) {
      throw StrataException.invalid(
          "--epochs %d (expected: >= 1; 0 only with --structured, to see the cut alone)", epochs);
    }
    boolean global =
        switch (scope.toLowerCase(Locale.ROOT)) {
          case "global" -> true;
          case "layer" -> false;
          default ->
              throw StrataException.invalid("--scope '%s' (expected: global or layer)", scope);
        };
    if (pruneSteps < 1) {
      throw StrataException.invalid("--prune-steps %d (expected: >= 1)", pruneSteps);
    }
    if (learningRate != null && !(learningRate > 0)) {
      throw StrataException.invalid("--learning-rate %s (expected: > 0)", learningRate);
    }
    if (source.model != null
        && Files.exists(out)
        && Files.exists(source.model)
        && Files.isSameFile(source.model, out)) {
      throw StrataException.invalid("--out %s is the model itself", out);
    }
    String variantName = (structured ? "structured-" : "pruned-") + Math.round(sparsity * 100);
    PublishOptions.Publisher publisher = publishing.publisher(variantName);
    ObjectMapper mapper = Delivery.JSON;
    Path dir = out.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path work = Files.createTempDirectory(dir, "." + out.getFileName() + "-");
    ModelTrainer trainer =
        new ModelTrainer(
            common.config(),
            Clock.systemUTC(),
            quiet ? new TrainingListener() {} : ProgressBar.onStderr());
    try {
      // the parent: its spec, fitted pipeline, classes and weights
      TrainingSpec parentSpec;
      FittedPipeline pipeline;
      List<String> classes;
      LayerWeights weights;
      Path parentFile;
      PreparedData prepared;
      if (source.model != null) {
        ModelProto proto = OnnxModels.read(source.model);
        Map<String, String> meta = OnnxModels.metadata(proto);
        parentSpec = specOf(meta);
        pipeline =
            FittedPipeline.fromModelMetadata(meta)
                .orElseThrow(
                    () -> StrataException.invalid("%s has no Strata preprocessing", source.model));
        classes = ModelLabels.read(source.model.toString(), meta);
        weights = LayerWeights.fromOnnx(proto, parentSpec.model().layers());
        parentFile = source.model;
        prepared = prepare(parentSpec, pipeline);
      } else {
        try (TrainedModel m = trainer.restore(source.checkpoint)) {
          parentSpec = m.spec();
          pipeline = m.pipeline();
          classes = m.classes();
          weights = LayerWeights.fromBlock(m.block(), parentSpec.model().layers());
          parentFile = work.resolve("parent.onnx");
          prepared = prepare(parentSpec, pipeline);
          OnnxModels.write(
              ModelExport.export(
                  m,
                  prepared.train(),
                  TrainingWorkflow.VERIFY_SAMPLES,
                  Optional.empty(),
                  Clock.systemUTC()),
              parentFile);
        }
      }
      if (parentSpec.task() != TrainingSpec.Task.CLASSIFICATION) {
        throw StrataException.invalid("prune: %s is not a classifier", parentSpec.name());
      }
      if (!prepared.classes().equals(classes)) {
        throw StrataException.invalid(
            "--data %s has classes %s (expected: the model's %s)",
            data, prepared.classes(), classes);
      }
      long[] sample = pipeline.featureShape();
      List<LayerSpec> before = parentSpec.model().layers();

      ObjectNode provenance = mapper.createObjectNode();
      provenance.put("method", structured ? "structured" : "unstructured");
      provenance.put("sparsity", sparsity);
      provenance.put("epochs", epochs);
      provenance
          .putObject("parent")
          .put("file", String.valueOf(parentFile.getFileName()))
          .put("sha256", dev.strata.api.CloudApiClient.sha256(parentFile));

      TrainingSpec tuned;
      LayerWeights start;
      StepHook hook = StepHook.NONE;
      int steps =
          (prepared.train().count() + parentSpec.training().batchSize() - 1)
              / parentSpec.training().batchSize();
      if (structured) {
        StructuredPruning.Result r = StructuredPruning.prune(weights, sample, sparsity);
        start = r.weights();
        tuned = parentSpec.withLayers(r.layers());
        provenance.putPOJO(
            "pruned",
            r.pruned().stream()
                .map(p -> Map.of("layer", p.layer(), "from", p.before(), "to", p.kept().length))
                .toList());
        for (StructuredPruning.Pruned p : r.pruned()) {
          w.printf("layer %d (%s): %d -> %d%n", p.layer(), p.type(), p.before(), p.kept().length);
        }
      } else {
        start = weights;
        tuned = parentSpec;
        long ramp = Math.max(1, (long) Math.ceil(epochs * 2.0 / 3) * steps);
        hook = new MagnitudePruning(before, sparsity, global, ramp, pruneSteps);
        provenance.put("scope", global ? "global" : "layer");
        provenance.put(
            "schedule", "cubic over " + ramp + " of " + (long) epochs * steps + " steps");
      }
      double lr =
          learningRate != null
              ? learningRate
              : parentSpec.training().optimizer().learningRate() / 10;
      provenance.put("learning_rate", lr);
      TrainingOptions opts = tuned.training().withFineTuning(Math.max(1, epochs), lr);
      tuned = tuned.withTraining(opts);
      List<LayerSpec> training = Networks.trainingLayers(tuned.model().layers());
      w.printf(
          Locale.ROOT,
          "fine-tuning %s for %d epochs (learning rate %.2g, cosine) on %d samples%n",
          tuned.name(),
          epochs,
          lr,
          prepared.train().count());
      ObjectNode report = mapper.createObjectNode();
      Path tmp = work.resolve("result.onnx");
      EvaluationReport evaluation;
      OnnxTeacher onnxTeacher =
          teacher == null
              ? null
              : new OnnxTeacher(
                  OnnxModels.read(teacher),
                  sample,
                  classes.size(),
                  common.config().intraOpThreads());
      if (teacher != null) {
        provenance
            .putObject("teacher")
            .put("file", String.valueOf(teacher.getFileName()))
            .put("sha256", dev.strata.api.CloudApiClient.sha256(teacher));
        distillationOptions.describe((ObjectNode) provenance.get("teacher"));
      }
      Optional<Distillation> distillation =
          Optional.ofNullable(onnxTeacher).map(distillationOptions::of);
      try (onnxTeacher;
          TrainedModel m =
              epochs == 0
                  ? trainer.assemble(
                      tuned, pipeline, prepared.classes(), prepared.digest(), start::loadInto)
                  : trainer.fineTune(
                      tuned,
                      prepared,
                      work.resolve("checkpoint"),
                      start::loadInto,
                      hook,
                      distillation)) {
        Features test = prepared.test().or(prepared::validation).orElse(prepared.train());
        evaluation = TrainingWorkflow.evaluate(m, test, "test set of " + data, Optional.empty());
        ModelProto result =
            ModelExport.export(
                m,
                test,
                TrainingWorkflow.VERIFY_SAMPLES,
                Optional.of(TrainJson.writeCompact(evaluation)),
                Clock.systemUTC());
        LayerWeights after = LayerWeights.fromBlock(m.block(), training);
        double measured = MagnitudePruning.sparsity(after);
        provenance.put("weight_sparsity", measured);
        long macsBefore = StructuredPruning.macs(before, sample);
        long macsAfter = StructuredPruning.macs(tuned.model().layers(), sample);
        long paramsBefore = Networks.parameterCount(before, sample);
        long paramsAfter = m.parameterCount();
        report
            .put("parameters_before", paramsBefore)
            .put("parameters_after", paramsAfter)
            .put("nonzero_weights_fraction", 1 - measured)
            .put("macs_before", macsBefore)
            .put("macs_after", macsAfter)
            .put("macs_ratio", (double) macsBefore / macsAfter);
        w.printf(
            Locale.ROOT,
            "parameters %,d -> %,d; weight sparsity %.2f%%; MACs per sample %,d -> %,d (%.2fx"
                + " fewer)%n",
            paramsBefore,
            paramsAfter,
            measured * 100,
            macsBefore,
            macsAfter,
            (double) macsBefore / macsAfter);
        result =
            OnnxModels.withMetadata(
                result, Map.of(QuantizeCommand.COMPRESSION_KEY, provenance.toString()));
        OnnxModels.write(result, tmp);
      }
      int t = common.config().intraOpThreads();
      double a =
          OnnxModelEvaluator.evaluate(parentFile, data, t)
              .classification()
              .orElseThrow()
              .accuracy();
      double b =
          OnnxModelEvaluator.evaluate(tmp, data, t).classification().orElseThrow().accuracy();
      double drop = (a - b) * 100;
      report
          .putObject("eval")
          .put("data", data.toString())
          .put("original_accuracy", a)
          .put("pruned_accuracy", b)
          .put("accuracy_drop_points", drop);
      w.printf(
          Locale.ROOT,
          "accuracy on the test set of %s: %.2f%% -> %.2f%% (%+.2f points)%n",
          data,
          a * 100,
          b * 100,
          -drop);
      long bytesBefore = Files.size(parentFile);
      long bytesAfter = Files.size(tmp);
      long zBefore = deflated(parentFile);
      long zAfter = deflated(tmp);
      report
          .put("original_bytes", bytesBefore)
          .put("pruned_bytes", bytesAfter)
          .put("size_ratio", (double) bytesBefore / bytesAfter)
          .put("original_deflated_bytes", zBefore)
          .put("pruned_deflated_bytes", zAfter)
          .put("deflated_size_ratio", (double) zBefore / zAfter);
      w.printf(
          Locale.ROOT,
          "size: %,d -> %,d bytes (%.2fx); deflated %,d -> %,d bytes (%.2fx)%n",
          bytesBefore,
          bytesAfter,
          (double) bytesBefore / bytesAfter,
          zBefore,
          zAfter,
          (double) zBefore / zAfter);
      report.set("compression", provenance);
      Delivery.refuseOnDrop(report, drop, maxAccuracyDrop);
      Map<String, Double> metrics = new LinkedHashMap<>();
      metrics.put("accuracy", b);
      metrics.put("accuracy_drop_points", drop);
      metrics.put("weight_sparsity", provenance.path("weight_sparsity").asDouble());
      metrics.put("macs_ratio", report.path("macs_ratio").asDouble());
      metrics.put("parameters", report.path("parameters_after").asDouble());
      metrics.put("bytes", (double) bytesAfter);
      Map<String, String> prov = new LinkedHashMap<>();
      prov.put("compression", "prune");
      prov.put("method", provenance.path("method").asText());
      prov.put("sparsity", Double.toString(sparsity));
      prov.put("epochs", Integer.toString(epochs));
      prov.put("parent_sha256", provenance.at("/parent/sha256").asText());
      return Delivery.deliver(w, report, json, tmp, out, publisher, metrics, prov);
    } finally {
      AtomicFiles.deleteTree(work);
    }
  }

  private PreparedData prepare(TrainingSpec s, FittedPipeline pipeline) throws IOException {
    DataSources.Loaded loaded = DataSources.load(data, s);
    return PreparedData.prepare(s, loaded, Optional.of(pipeline));
  }

  /** The parent's spec, from the provenance strata train wrote into the model. */
  private TrainingSpec specOf(Map<String, String> meta) {
    return TrainingSpec.fromModelMetadata(meta, source.model.toString())
        .orElseThrow(
            () ->
                StrataException.invalid(
                    "%s has no training spec in its provenance (expected: a model exported by strata"
                        + " train; or give --checkpoint)",
                    source.model));
  }

  private static long deflated(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    Deflater d = new Deflater(Deflater.BEST_COMPRESSION);
    d.setInput(bytes);
    d.finish();
    byte[] buf = new byte[1 << 16];
    long n = 0;
    while (!d.finished()) {
      n += d.deflate(buf);
    }
    d.end();
    return n;
  }
}
