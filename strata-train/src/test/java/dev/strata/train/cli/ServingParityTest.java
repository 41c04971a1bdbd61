package dev.strata.train.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.strata.core.InferenceRequest;
import dev.strata.core.OutputRequest;
import dev.strata.core.Shape;
import dev.strata.core.Tensor;
import dev.strata.onnx.OnnxModels;
import dev.strata.preprocess.ImageCodec;
import dev.strata.preprocess.RawImage;
import dev.strata.protocol.client.ClientConfig;
import dev.strata.protocol.client.StrataClient;
import dev.strata.runtime.ModelManager;
import dev.strata.runtime.RuntimeConfig;
import dev.strata.serving.ServingConfig;
import dev.strata.serving.StrataServer;
import dev.strata.train.TestSupport;
import dev.strata.train.data.DataSources;
import dev.strata.train.data.Dataset;
import dev.strata.train.training.ModelTrainer;
import dev.strata.train.training.TrainedModel;
import dev.strata.train.training.TrainingListener;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The whole path a user takes: {@code strata train} on the subset, then serving raw PNG bytes
 * through the pipeline stored in the exported model, then {@code strata evaluate}.
 */
class ServingParityTest {
  private static final String[] CLASSES = {
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot"
  };

  private static final String SPEC =
      TestSupport.imageSpec(
          """
          - {type: conv2d, filters: 8, kernel: 3, padding: 1}
          - {type: batch_norm}
          - {type: relu}
          - {type: max_pool, kernel: 2}
          - {type: flatten}
          - {type: linear, units: 10}
          - {type: softmax}
          """,
          """
          epochs: 2
          batch_size: 64
          seed: 4
          optimizer: {type: adam, learning_rate: 0.003}
          """);

  @Test
  void servedRawImageBytesGetTheTrainingSidePrediction(@TempDir Path dir) throws Exception {
    Path spec = dir.resolve("spec.yaml");
    Files.writeString(spec, SPEC);
    Path out = dir.resolve("out");
    int rc =
        run(
            "train",
            "--spec",
            spec.toString(),
            "--data",
            TestSupport.SUBSET.toString(),
            "--out",
            out.toString(),
            "--quiet",
            "--threads",
            "2",
            "--data-dir",
            TestSupport.CONFIG.dataDir().toString());
    assertThat(rc).isZero();
    assertThat(out.resolve("model.onnx")).isRegularFile();
    assertThat(Files.readAllLines(out.resolve("training-log.jsonl"))).hasSize(2);

    // serving side: `strata serve` on a repository holding the exported model, answering raw PNG
    // bytes over HTTP with the pipeline stored in the model's metadata
    Path repo = dir.resolve("repo");
    Files.createDirectories(repo.resolve("fashion/1"));
    Files.copy(out.resolve("model.onnx"), repo.resolve("fashion/1/model.onnx"));
    Dataset.Images test = DataSources.readIdx(TestSupport.SUBSET, "t10k");
    int n = 32;
    List<byte[]> pngs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      pngs.add(ImageCodec.encodePng(test.images().get(i * 31)));
    }
    float[][] served = new float[n][];
    List<String> servedLabels;
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (ModelManager runtime =
            ModelManager.create(RuntimeConfig.builder(repo).meterRegistry(registry).build());
        StrataServer server = StrataServer.start(ServingConfig.ephemeral(), runtime, registry);
        StrataClient client = StrataClient.rest(ClientConfig.of("127.0.0.1", server.httpPort()))) {
      runtime.startup().join();
      assertThat(client.modelMetadata("fashion", Optional.empty()).parameters())
          .containsEntry("raw_input", "image");
      Tensor raw = Tensor.ofBytes("image", Shape.of(n), pngs);
      float[] flat =
          client.infer(InferenceRequest.of("fashion", List.of(raw))).outputs().get(0).floats();
      for (int i = 0; i < n; i++) {
        served[i] = java.util.Arrays.copyOfRange(flat, i * 10, i * 10 + 10);
      }
      InferenceRequest top1 =
          new InferenceRequest(
              "fashion",
              Optional.empty(),
              "",
              List.of(raw),
              List.of(new OutputRequest("probabilities", 1, Map.of())),
              Map.of(),
              Optional.empty());
      servedLabels = client.infer(top1).outputs().get(0).strings();
    }

    // training side: the IDX pixels through the checkpoint's pipeline into the DJL model
    ModelTrainer trainer =
        new ModelTrainer(TestSupport.CONFIG, Clock.systemUTC(), new TrainingListener() {});
    try (TrainedModel model = trainer.restore(out.resolve("checkpoint"))) {
      int per = model.pipeline().featureSize();
      float[] features = new float[n * per];
      for (int i = 0; i < n; i++) {
        RawImage img = test.images().get(i * 31);
        System.arraycopy(model.pipeline().applyImage(img, "test " + i), 0, features, i * per, per);
      }
      float[][] trained = model.predict(features, n);
      int agree = 0;
      for (int i = 0; i < n; i++) {
        assertThat(argMax(served[i])).isEqualTo(argMax(trained[i]));
        assertThat(servedLabels.get(i))
            .endsWith(":" + argMax(trained[i]) + ":" + CLASSES[argMax(trained[i])]);
        for (int c = 0; c < 10; c++) {
          assertThat(served[i][c]).isCloseTo(trained[i][c], within(1e-4f));
        }
        agree += argMax(trained[i]) == test.labels()[i * 31] ? 1 : 0;
      }
      assertThat(agree).isGreaterThan(n / 2); // and the model is actually useful
    }
  }

  @Test
  void evaluateWritesJsonAndASelfContainedHtmlReport(@TempDir Path dir) throws Exception {
    Path spec = dir.resolve("spec.yaml");
    Files.writeString(spec, SPEC);
    Path out = dir.resolve("out");
    assertThat(
            run(
                "train",
                "--spec",
                spec.toString(),
                "--data",
                TestSupport.SUBSET.toString(),
                "--out",
                out.toString(),
                "--epochs",
                "1",
                "--quiet",
                "--data-dir",
                TestSupport.CONFIG.dataDir().toString(),
                "--threads",
                "2"))
        .isZero();
    Path report = dir.resolve("eval/report.html");
    assertThat(
            run(
                "evaluate",
                "--model",
                out.resolve("model.onnx").toString(),
                "--data",
                TestSupport.SUBSET.toString(),
                "--report",
                report.toString()))
        .isZero();
    String json = Files.readString(dir.resolve("eval/metrics.json"));
    assertThat(json)
        .contains("\"accuracy\"")
        .contains("\"confusion\"")
        .contains("\"top_k\"")
        .contains("\"samples\" : 1000");
    String html = Files.readString(report);
    assertThat(html).doesNotContainPattern("(?i)https?://").contains("<svg");

    // export from the checkpoint gives a model with the same metadata keys
    Path exported = dir.resolve("again.onnx");
    assertThat(
            run(
                "export",
                "--checkpoint",
                out.toString(),
                "--out",
                exported.toString(),
                "--data-dir",
                TestSupport.CONFIG.dataDir().toString(),
                "--threads",
                "2"))
        .isZero();
    assertThat(OnnxModels.metadata(OnnxModels.read(exported)).keySet())
        .containsAll(OnnxModels.metadata(OnnxModels.read(out.resolve("model.onnx"))).keySet());
  }

  @Test
  void helpDescribesEachCommand() {
    StringWriter text = new StringWriter();
    CommandLine cl = StrataTrainCli.commandLine();
    cl.setOut(new PrintWriter(text));
    assertThat(cl.execute("train", "--help")).isZero();
    assertThat(text.toString())
        .contains("--spec=SPEC")
        .contains("--data=DATA")
        .contains("--out=DIR")
        .contains("--resume");
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err));
    assertThat(cl.execute("evaluate", "--model", "missing.onnx", "--data", "x")).isEqualTo(2);
    assertThat(err.toString()).startsWith("error: ");
  }

  private static int run(String... args) {
    return StrataTrainCli.commandLine().execute(args);
  }

  private static int argMax(float[] v) {
    int b = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[b]) {
        b = i;
      }
    }
    return b;
  }
}
