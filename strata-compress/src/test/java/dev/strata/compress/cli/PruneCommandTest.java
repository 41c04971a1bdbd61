package dev.strata.compress.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.strata.compress.cli.QuantizeCommandTest.Run;
import dev.strata.onnx.Initializers;
import dev.strata.onnx.OnnxModels;
import dev.strata.train.engine.TrainConfig;
import dev.strata.train.spec.TrainingSpec;
import dev.strata.train.training.TrainingListener;
import dev.strata.train.workflow.TrainingWorkflow;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code strata compress prune} as a user runs it, on the reference model and its data. */
class PruneCommandTest {
  static final Path CNN = QuantizeCommandTest.CNN;
  static final Path SUBSET = QuantizeCommandTest.SUBSET;

  static Run run(String... args) {
    String[] all = new String[args.length + 2];
    all[0] = "prune";
    System.arraycopy(args, 0, all, 1, args.length);
    all[all.length - 1] = "--quiet";
    return QuantizeCommandTest.run(all);
  }

  @Test
  void unstructuredPruningZeroesHalfOfEveryLayerAndKeepsTheModelUseful(@TempDir Path dir)
      throws Exception {
    Path out = dir.resolve("pruned.onnx");
    Path json = dir.resolve("report.json");
    Run r =
        run(
            "--model",
            CNN.toString(),
            "--data",
            SUBSET.toString(),
            "--out",
            out.toString(),
            "--sparsity",
            "0.5",
            "--scope",
            "layer",
            "--epochs",
            "1",
            "--json",
            json.toString());
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("weight sparsity 50.00%", "wrote " + out);
    ModelProto original = OnnxModels.read(CNN);
    ModelProto pruned = OnnxModels.read(out);
    assertThat(OnnxModels.inputs(pruned)).isEqualTo(OnnxModels.inputs(original));
    assertThat(OnnxModels.outputs(pruned)).isEqualTo(OnnxModels.outputs(original));
    for (String name : new String[] {"l0_weight", "l4_weight", "l8_weight", "l14_weight"}) {
      float[] w = Initializers.floats(initializer(pruned, name));
      long zeros = 0;
      for (float x : w) {
        zeros += x == 0 ? 1 : 0;
      }
      assertThat(zeros).as(name).isEqualTo(w.length / 2);
    }
    JsonNode report = new ObjectMapper().readTree(json.toFile());
    assertThat(report.at("/compression/method").asText()).isEqualTo("unstructured");
    assertThat(report.at("/compression/scope").asText()).isEqualTo("layer");
    assertThat(report.at("/eval/pruned_accuracy").asDouble()).isGreaterThan(0.85);
    Map<String, String> meta = OnnxModels.metadata(pruned);
    JsonNode provenance = new ObjectMapper().readTree(meta.get(QuantizeCommand.COMPRESSION_KEY));
    assertThat(provenance.at("/parent/sha256").asText())
        .isEqualTo(dev.strata.api.CloudApiClient.sha256(CNN));
    assertThat(meta)
        .containsEntry("strata.labels", OnnxModels.metadata(original).get("strata.labels"));
    // its own evaluation, on the same test data the report gives
    JsonNode metrics = new ObjectMapper().readTree(meta.get("strata.metrics"));
    assertThat(metrics.at("/classification/accuracy").asDouble())
        .isCloseTo(
            report.at("/eval/pruned_accuracy").asDouble(),
            org.assertj.core.data.Offset.offset(0.002));
  }

  @Test
  void structuredPruningGivesASmallerDenseModelThatFineTuningRepairs(@TempDir Path dir)
      throws Exception {
    Path cut = dir.resolve("cut.json");
    Path out = dir.resolve("structured.onnx");
    // the cut alone loses a lot: refused by the limit, nothing written, nothing left behind
    Run refused =
        run(
            "--model",
            CNN.toString(),
            "--data",
            SUBSET.toString(),
            "--out",
            out.toString(),
            "--sparsity",
            "0.5",
            "--structured",
            "--epochs",
            "0",
            "--max-accuracy-drop",
            "1",
            "--json",
            cut.toString());
    assertThat(refused.exit()).as(refused.err()).isEqualTo(3);
    assertThat(refused.out()).contains("layer 0 (conv2d): 32 -> 16", "not written: accuracy drops");
    assertThat(out).doesNotExist();
    try (Stream<Path> left = Files.list(dir)) {
      assertThat(left.map(p -> p.getFileName().toString())).containsExactly("cut.json");
    }
    double cutAccuracy =
        new ObjectMapper().readTree(cut.toFile()).at("/eval/pruned_accuracy").asDouble();

    Path json = dir.resolve("report.json");
    Run r =
        run(
            "--model",
            CNN.toString(),
            "--data",
            SUBSET.toString(),
            "--out",
            out.toString(),
            "--sparsity",
            "0.5",
            "--structured",
            "--epochs",
            "3",
            "--learning-rate",
            "0.002",
            "--teacher",
            CNN.toString(),
            "--json",
            json.toString());
    assertThat(r.exit()).as(r.err()).isZero();
    ModelProto pruned = OnnxModels.read(out);
    assertThat(Initializers.dims(initializer(pruned, "l0_weight"))).containsExactly(16, 1, 3, 3);
    assertThat(Initializers.dims(initializer(pruned, "l4_weight"))).containsExactly(32, 16, 3, 3);
    assertThat(Initializers.dims(initializer(pruned, "l14_weight"))).containsExactly(10, 576);
    JsonNode report = new ObjectMapper().readTree(json.toFile());
    assertThat(report.path("macs_ratio").asDouble()).isGreaterThan(3.5);
    assertThat(report.at("/compression/teacher/sha256").asText())
        .isEqualTo(dev.strata.api.CloudApiClient.sha256(CNN));
    assertThat(report.path("parameters_after").asLong()).isLessThan(30_000);
    assertThat(report.at("/eval/pruned_accuracy").asDouble()).isGreaterThan(cutAccuracy + 0.2);
  }

  @Test
  void aTrainingCheckpointIsASource(@TempDir Path dir) throws Exception {
    TrainingSpec spec =
        TrainingSpec.read(QuantizeCommandTest.ROOT.resolve("models/fashion-edge/spec.yaml"))
            .withEpochs(1);
    Path trained = dir.resolve("trained");
    new TrainingWorkflow(TrainConfig.defaults(), Clock.systemUTC())
        .run(spec, SUBSET, trained, TrainingWorkflow.Options.defaults(new TrainingListener() {}));
    Path out = dir.resolve("pruned.onnx");
    Run r =
        run(
            "--checkpoint",
            trained.resolve("checkpoint").toString(),
            "--data",
            SUBSET.toString(),
            "--out",
            out.toString(),
            "--sparsity",
            "0.9",
            "--epochs",
            "1");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("weight sparsity 90.0");
    assertThat(out).exists();
  }

  @Test
  void mistakesAreClearErrors(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("x.onnx");
    String[] base = {
      "--model", CNN.toString(), "--data", SUBSET.toString(), "--out", out.toString()
    };
    assertThat(run(concat(base, "--sparsity", "1.5")).err())
        .contains("--sparsity 1.5 (expected: 0 < S < 1");
    assertThat(run(concat(base, "--sparsity", "0.5", "--scope", "row")).err())
        .contains("--scope 'row' (expected: global or layer)");
    assertThat(run(concat(base, "--sparsity", "0.5", "--epochs", "0")).err())
        .contains("0 only with --structured");
    assertThat(run(concat(base, "--sparsity", "0.5", "--checkpoint", dir.toString())).err())
        .contains("mutually exclusive");
    Path minilm = dir.resolve("minilm.onnx");
    try (var in = getClass().getClassLoader().getResourceAsStream("all-minilm-l6-v2.onnx")) {
      Files.copy(in, minilm);
    }
    assertThat(
            run(
                    "--model",
                    minilm.toString(),
                    "--data",
                    SUBSET.toString(),
                    "--out",
                    out.toString(),
                    "--sparsity",
                    "0.5")
                .err())
        .contains("has no training spec in its provenance");
    assertThat(out).doesNotExist();
  }

  private static String[] concat(String[] a, String... b) {
    String[] all = new String[a.length + b.length];
    System.arraycopy(a, 0, all, 0, a.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  private static TensorProto initializer(ModelProto m, String name) {
    return m.getGraph().getInitializerList().stream()
        .filter(t -> t.getName().equals(name))
        .findFirst()
        .orElseThrow();
  }
}
