package dev.strata.compress.cli;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.strata.compress.eval.OutputAgreement;
import dev.strata.compress.eval.SentenceEmbeddings;
import dev.strata.compress.quantize.Calibration;
import dev.strata.compress.quantize.DynamicQuantizer;
import dev.strata.compress.quantize.StaticQuantizer;
import dev.strata.core.StrataException;
import dev.strata.onnx.OnnxModels;
import dev.strata.preprocess.FittedPipeline;
import dev.strata.preprocess.ModelMetadataKeys;
import dev.strata.train.data.DataSources;
import dev.strata.train.data.Dataset;
import dev.strata.train.data.Features;
import dev.strata.train.data.PreparedData;
import dev.strata.train.eval.OnnxModelEvaluator;
import dev.strata.train.eval.TrainJson;
import dev.strata.train.spec.TrainingSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code strata compress quantize}: int8 quantization of an ONNX model. */
@Command(
    name = "quantize",
    mixinStandardHelpOptions = true,
    description = {
      "Quantize an ONNX model to int8. static: QuantizeLinear/DequantizeLinear pairs calibrated on",
      "a sample of a data set through the model's own preprocessing (BatchNorm folded first).",
      "dynamic: int8 weights, activations quantized at run time (transformers). The result keeps",
      "the original's signature and metadata and records its provenance. With --eval, both",
      "models are measured on held-out data and a result that loses more than allowed is not",
      "written."
    })
public final class QuantizeCommand implements Callable<Integer> {
  /** The metadata key of a compressed model's provenance (JSON). */
  public static final String COMPRESSION_KEY = "strata.compression";

  @Spec CommandSpec spec;

  /** The result's own evaluation on --eval, when it is a classifier (its strata.metrics). */
  private dev.strata.train.eval.EvaluationReport evaluated;

  @Option(names = "--model", required = true, paramLabel = "M.onnx", description = "The model.")
  Path model;

  @Option(names = "--out", required = true, paramLabel = "OUT.onnx", description = "The result.")
  Path out;

  @Option(
      names = "--method",
      required = true,
      paramLabel = "static|dynamic",
      description = "static (calibrated activations) or dynamic (activations at run time).")
  String method;

  @Option(
      names = "--calibration",
      paramLabel = "DATA",
      description = "Data set whose training part calibrates a static quantization.")
  Path calibration;

  @Option(
      names = "--calibration-size",
      paramLabel = "N",
      defaultValue = "512",
      description = "Samples drawn (seeded) for calibration (default: ${DEFAULT-VALUE}).")
  int calibrationSize;

  @Option(
      names = "--calibrate",
      paramLabel = "minmax|percentile|entropy",
      defaultValue = "minmax",
      description = "How activation ranges are chosen (default: ${DEFAULT-VALUE}).")
  String calibrate;

  @Option(
      names = "--percentile",
      paramLabel = "P",
      defaultValue = "99.999",
      description = "The percentile kept by --calibrate percentile (default: ${DEFAULT-VALUE}).")
  double percentile;

  @Option(
      names = "--per-channel",
      description = "One weight scale per output channel of Conv, Gemm and MatMul.")
  boolean perChannel;

  @Option(
      names = "--reduce-range",
      negatable = true,
      description =
          "Weights in 7 bits (default: on for static, off for dynamic). x86 CPUs without VNNI"
              + " saturate 8-bit weight products in ONNX Runtime's u8s8 kernels; 7 bits run right"
              + " on every CPU an edge may have.")
  Boolean reduceRange;

  @Option(
      names = "--exclude",
      split = ",",
      paramLabel = "NODE",
      description = "Nodes left in float (names as in the model).")
  List<String> exclude = List.of();

  @Option(
      names = "--eval",
      paramLabel = "DATA",
      description =
          "Held-out data: a data set (its test part) for a classifier, or a text file of"
              + " sentences (one per line) for a model with a tokenizer.")
  Path eval;

  @Option(
      names = "--eval-size",
      paramLabel = "N",
      defaultValue = "1000",
      description = "Sentences of a text --eval used (default: ${DEFAULT-VALUE}).")
  int evalSize;

  @Option(
      names = "--tokenizer",
      paramLabel = "tokenizer.json",
      description = "The tokenizer of a text model (default: tokenizer.json beside --model).")
  Path tokenizer;

  @Option(
      names = "--max-accuracy-drop",
      paramLabel = "POINTS",
      description = "Refuse a classifier that loses more accuracy than this (percentage points).")
  Double maxAccuracyDrop;

  @Option(
      names = "--min-cosine",
      paramLabel = "C",
      description = "Refuse a model whose mean cosine to the original's outputs is below C.")
  Double minCosine;

  @Option(
      names = "--threads",
      paramLabel = "N",
      description = "ONNX Runtime threads for calibration and evaluation (default: all cores).")
  Integer threads;

  @Option(names = "--json", paramLabel = "FILE", description = "Also write the report as JSON.")
  Path json;

  @Mixin PublishOptions publishing;

  @Override
  public Integer call() throws Exception {
    PrintWriter w = spec.commandLine().getOut();
    if ((maxAccuracyDrop != null || minCosine != null) && eval == null) {
      throw StrataException.invalid("--max-accuracy-drop and --min-cosine need --eval DATA");
    }
    if (Files.exists(out) && Files.exists(model) && Files.isSameFile(model, out)) {
      throw StrataException.invalid("--out %s is the model itself", out);
    }
    PublishOptions.Publisher publisher = publishing.publisher("int8");
    int t = threads != null ? threads : Runtime.getRuntime().availableProcessors();
    ModelProto original = OnnxModels.read(model);
    ObjectMapper mapper = Delivery.JSON;
    ObjectNode provenance = mapper.createObjectNode();
    provenance.put("method", method);
    provenance.put("per_channel", perChannel);
    provenance.put(
        "reduce_range",
        reduceRange != null ? reduceRange : method.toLowerCase(Locale.ROOT).equals("static"));
    provenance.putPOJO("excluded", exclude);
    provenance
        .putObject("parent")
        .put("file", String.valueOf(model.getFileName()))
        .put("sha256", dev.strata.api.CloudApiClient.sha256(model));
    Set<String> excluded = new LinkedHashSet<>(exclude);
    ModelProto quantized;
    switch (method.toLowerCase(Locale.ROOT)) {
      case "static" -> {
        Calibration.Method how = Calibration.Method.parse(calibrate);
        Calibration.Samples samples = calibrationSamples(original, provenance);
        provenance.put("calibrate", how.name().toLowerCase(Locale.ROOT));
        if (how == Calibration.Method.PERCENTILE) {
          provenance.put("percentile", percentile);
        }
        StaticQuantizer.Result r =
            StaticQuantizer.quantize(
                original,
                samples,
                new StaticQuantizer.Options(
                    how, percentile, perChannel, excluded, reduceRange == null || reduceRange));
        provenance.put("batch_norms_folded", r.batchNormsFolded());
        provenance.putPOJO("quantized_nodes", r.quantizedNodes());
        quantized = r.model();
        w.printf(
            "static int8: %d nodes quantized, %d activations calibrated (%s on %d samples), %d"
                + " BatchNorm folded%n",
            r.quantizedNodes().size(),
            r.activations(),
            provenance.get("calibrate").asText(),
            samples.count(),
            r.batchNormsFolded());
      }
      case "dynamic" -> {
        if (calibration != null) {
          throw StrataException.invalid("--calibration is for --method static");
        }
        DynamicQuantizer.Result r =
            DynamicQuantizer.quantize(
                original,
                new DynamicQuantizer.Options(
                    perChannel, excluded, reduceRange != null && reduceRange));
        provenance.putPOJO("quantized_nodes", r.matMuls());
        provenance.putPOJO("quantized_tables", r.gathers());
        quantized = r.model();
        w.printf(
            "dynamic int8: %d MatMul and %d embedding tables quantized%n",
            r.matMuls().size(), r.gathers().size());
      }
      default ->
          throw StrataException.invalid("--method '%s' (expected: static or dynamic)", method);
    }
    quantized = OnnxModels.withMetadata(quantized, Map.of(COMPRESSION_KEY, provenance.toString()));
    Path dir = out.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, "." + out.getFileName(), ".tmp");
    try {
      // the parent's evaluation describes the float model: the result carries its own, or none
      quantized = withoutMetadata(quantized, ModelMetadataKeys.METRICS);
      OnnxModels.write(quantized, tmp);
      ObjectNode report = mapper.createObjectNode();
      boolean refused = false;
      if (eval != null) {
        refused = evaluate(original, quantized, tmp, t, report, w);
        if (!refused && evaluated != null) {
          quantized =
              OnnxModels.withMetadata(
                  quantized, Map.of(ModelMetadataKeys.METRICS, TrainJson.writeCompact(evaluated)));
          OnnxModels.write(quantized, tmp);
        }
      }
      long before = Files.size(model);
      long after = Files.size(tmp);
      report
          .put("original_bytes", before)
          .put("quantized_bytes", after)
          .put("size_ratio", (double) before / after);
      w.printf(
          Locale.ROOT,
          "size: %,d -> %,d bytes (%.2fx smaller)%n",
          before,
          after,
          (double) before / after);
      report.set("compression", provenance);
      return Delivery.deliver(
          w, report, json, tmp, out, publisher, metrics(report), variantProvenance(provenance));
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** The registry metrics of a result: its size and every number of its evaluation. */
  static Map<String, Double> metrics(ObjectNode report) {
    Map<String, Double> metrics = new java.util.LinkedHashMap<>();
    metrics.put("size_ratio", report.path("size_ratio").asDouble());
    metrics.put("bytes", report.path("quantized_bytes").asDouble());
    report
        .path("eval")
        .properties()
        .forEach(
            e -> {
              if (e.getValue().isNumber()) {
                metrics.put(e.getKey(), e.getValue().asDouble());
              }
            });
    if (metrics.containsKey("quantized_accuracy")) {
      metrics.put("accuracy", metrics.get("quantized_accuracy"));
    }
    return metrics;
  }

  private Map<String, String> variantProvenance(ObjectNode provenance) {
    Map<String, String> prov = new java.util.LinkedHashMap<>();
    prov.put("compression", "quantize");
    prov.put("method", provenance.path("method").asText());
    prov.put("per_channel", provenance.path("per_channel").asText());
    if (provenance.has("calibrate")) {
      prov.put("calibrate", provenance.path("calibrate").asText());
      prov.put("calibration_sha256", provenance.at("/calibration/sha256").asText());
      prov.put("calibration_samples", provenance.at("/calibration/samples").asText());
    }
    prov.put("parent_sha256", provenance.at("/parent/sha256").asText());
    if (!exclude.isEmpty()) {
      prov.put("excluded", String.join(",", exclude));
    }
    return prov;
  }

  /** Measures both models on --eval; true when the result is refused. */
  private boolean evaluate(
      ModelProto original, ModelProto quantized, Path file, int t, ObjectNode report, PrintWriter w)
      throws IOException {
    Map<String, String> meta = OnnxModels.metadata(original);
    boolean classifier =
        "classification".equals(meta.getOrDefault(ModelMetadataKeys.TASK, ""))
            && FittedPipeline.fromModelMetadata(meta).isPresent();
    if (classifier) {
      double a = accuracy(OnnxModelEvaluator.evaluate(model, eval, t));
      evaluated = OnnxModelEvaluator.evaluate(file, eval, t);
      double b = accuracy(evaluated);
      double drop = (a - b) * 100;
      report
          .putObject("eval")
          .put("data", eval.toString())
          .put("original_accuracy", a)
          .put("quantized_accuracy", b)
          .put("accuracy_drop_points", drop);
      w.printf(
          Locale.ROOT,
          "accuracy on %s: %.2f%% -> %.2f%% (%+.2f points)%n",
          eval,
          a * 100,
          b * 100,
          -drop);
      if (Delivery.refuseOnDrop(report, drop, maxAccuracyDrop)) {
        return true;
      }
      return false;
    }
    if (maxAccuracyDrop != null) {
      throw StrataException.invalid(
          "--max-accuracy-drop is for classifiers (%s has no classification metadata); use"
              + " --min-cosine",
          model);
    }
    Path tok =
        tokenizer != null ? tokenizer : model.toAbsolutePath().resolveSibling("tokenizer.json");
    if (!Files.isRegularFile(tok)) {
      throw StrataException.invalid(
          "--eval of a model that is not a Strata classifier needs its tokenizer: %s does not"
              + " exist (give --tokenizer)",
          tok);
    }
    List<String> sentences;
    try (var lines = Files.lines(eval, StandardCharsets.UTF_8)) {
      sentences = lines.map(String::strip).filter(s -> !s.isEmpty()).limit(evalSize).toList();
    }
    if (sentences.isEmpty()) {
      throw StrataException.invalid("--eval %s has no sentences", eval);
    }
    OutputAgreement agreement;
    try (SentenceEmbeddings e = new SentenceEmbeddings(tok)) {
      List<float[]> a = e.embed(original.toByteArray(), sentences, t);
      List<float[]> b = e.embed(quantized.toByteArray(), sentences, t);
      OutputAgreement.Builder ab = new OutputAgreement.Builder();
      for (int i = 0; i < a.size(); i++) {
        ab.add(a.get(i), b.get(i));
      }
      agreement = ab.build();
    }
    report
        .putObject("eval")
        .put("data", eval.toString())
        .put("sentences", agreement.samples())
        .put("mean_cosine", agreement.meanCosine())
        .put("min_cosine", agreement.minCosine())
        .put("max_abs_error", agreement.maxAbsError())
        .put("mean_abs_error", agreement.meanAbsError());
    w.printf(
        Locale.ROOT,
        "embeddings of %d sentences vs the original: mean cosine %.5f (min %.5f), max |error| %.4f,"
            + " mean |error| %.5f%n",
        agreement.samples(),
        agreement.meanCosine(),
        agreement.minCosine(),
        agreement.maxAbsError(),
        agreement.meanAbsError());
    if (minCosine != null && agreement.meanCosine() < minCosine) {
      report.put(
          "refused",
          String.format(
              Locale.ROOT,
              "mean cosine %.5f is below --min-cosine %s",
              agreement.meanCosine(),
              minCosine));
      return true;
    }
    return false;
  }

  private static ModelProto withoutMetadata(ModelProto m, String key) {
    ModelProto.Builder b = m.toBuilder().clearMetadataProps();
    m.getMetadataPropsList().stream()
        .filter(e -> !e.getKey().equals(key))
        .forEach(b::addMetadataProps);
    return b.build();
  }

  private static double accuracy(dev.strata.train.eval.EvaluationReport r) {
    return r.classification()
        .orElseThrow(() -> StrataException.invalid("the evaluation has no accuracy"))
        .accuracy();
  }

  /** A seeded sample of the calibration data's training part, preprocessed as the model does. */
  private Calibration.Samples calibrationSamples(ModelProto m, ObjectNode provenance)
      throws IOException {
    if (calibration == null) {
      throw StrataException.invalid("--method static needs --calibration DATA");
    }
    if (calibrationSize < 1) {
      throw StrataException.invalid("--calibration-size %d (expected: 1 or more)", calibrationSize);
    }
    Map<String, String> meta = OnnxModels.metadata(m);
    FittedPipeline pipeline =
        FittedPipeline.fromModelMetadata(meta)
            .orElseThrow(
                () ->
                    StrataException.invalid(
                        "%s has no Strata preprocessing in its metadata, so calibration data cannot"
                            + " be prepared as it would be served; static quantization is for models"
                            + " exported by strata train (use --method dynamic for others)",
                        model));
    TrainingSpec.Task task =
        TrainingSpec.Task.valueOf(
            meta.getOrDefault(ModelMetadataKeys.TASK, "classification").toUpperCase(Locale.ROOT));
    Dataset train = DataSources.load(calibration, pipeline.input(), task).train();
    int n = Math.min(calibrationSize, train.size());
    int[] all = new int[train.size()];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
    Random rnd = new Random(1);
    for (int i = 0; i < n; i++) {
      int j = i + rnd.nextInt(all.length - i);
      int s = all[i];
      all[i] = all[j];
      all[j] = s;
    }
    Features f = PreparedData.features(pipeline, train.subset(java.util.Arrays.copyOf(all, n)));
    ByteBuffer bytes = ByteBuffer.allocate(f.data().length * 4).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(f.data());
    provenance
        .putObject("calibration")
        .put("data", calibration.toString())
        .put("samples", n)
        .put("seed", 1)
        .put("sha256", HexFormat.of().formatHex(sha256().digest(bytes.array())));
    return new Calibration.Samples(pipeline.modelInput(), f.data(), f.sampleShape(), n);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
