package dev.strata.edge.calibrate;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.control.Json;
import dev.strata.edge.testing.TestModels;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code strata calibrate} on two small MLPs and a synthetic set labelled by the cloud model (so
 * the cloud is always right and every accuracy up to 100% can be reached).
 */
class CalibrateCommandIT {
  static final int N = 300;

  @TempDir Path dir;
  Path edge;
  Path cloud;
  Path images;
  Path labels;

  @BeforeEach
  void writeModelsAndData() throws Exception {
    edge = Files.write(dir.resolve("edge.onnx"), TestModels.mlp(1));
    cloud = Files.write(dir.resolve("cloud-mlp.onnx"), TestModels.mlp(2));
    Random r = new Random(3);
    byte[][] pixels = new byte[N][TestModels.IN];
    List<float[]> examples = new ArrayList<>();
    for (int i = 0; i < N; i++) {
      r.nextBytes(pixels[i]);
      float[] e = new float[TestModels.IN];
      for (int j = 0; j < e.length; j++) {
        e[j] = (float) ((pixels[i][j] & 0xff) / 255.0);
      }
      examples.add(e);
    }
    LabelledSet unlabelled = new LabelledSet(examples, new int[N]);
    int[] truth = new int[N];
    try (ModelScorer s = ModelScorer.local(cloud, dir)) {
      List<double[]> p = s.probabilities(unlabelled, 64);
      for (int i = 0; i < N; i++) {
        truth[i] = argmax(p.get(i));
      }
    }
    images = dir.resolve("images-idx2-ubyte");
    try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(images))) {
      out.writeInt(0x0802);
      out.writeInt(N);
      out.writeInt(TestModels.IN);
      for (byte[] row : pixels) {
        out.write(row);
      }
    }
    labels = dir.resolve("labels-idx1-ubyte");
    try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(labels))) {
      out.writeInt(0x0801);
      out.writeInt(N);
      for (int t : truth) {
        out.writeByte(t);
      }
    }
  }

  private static int argmax(double[] p) {
    int best = 0;
    for (int i = 1; i < p.length; i++) {
      best = p[i] > p[best] ? i : best;
    }
    return best;
  }

  @Test
  void picksAThresholdForATargetAccuracyAndDrawsTheCurve() throws IOException {
    Path chart = dir.resolve("curve.svg");
    Run r =
        Run.calibrate(
            "--images", images.toString(),
            "--labels", labels.toString(),
            "--edge-model", edge.toString(),
            "--cloud-model", cloud.toString(),
            "--measure", "margin",
            "--target-accuracy", "1.0",
            "--chart", chart.toString());

    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("validation set: 300 examples; measure margin")
        .contains("accuracy 100.00%") // the cloud, which labelled the set
        .contains("threshold   edge share   accuracy   cloud calls")
        .contains("<- chosen")
        .containsPattern(
            "chosen for accuracy >= 100.00%: threshold [0-9.]+ -> [0-9.]+% on the edge, 100.00% accurate");
    JsonNode policy =
        Json.mapper()
            .readTree(r.out().lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow());
    assertThat(policy.path("type").asText()).isEqualTo("cascade");
    assertThat(policy.path("measure").asText()).isEqualTo("MARGIN");
    assertThat(policy.path("cloudModel").asText()).isEqualTo("cloud-mlp");
    assertThat(policy.path("threshold").asDouble()).isBetween(0.0, 1.0);
    String svg = Files.readString(chart);
    assertThat(svg).startsWith("<svg").contains("<polyline").contains("<circle");
    assertThat(svg.replace("xmlns=\"http://www.w3.org/2000/svg\"", "")).doesNotContain("http");
  }

  @Test
  void aTargetEdgeShareIsKept() throws IOException {
    Path jsonl = dir.resolve("set.jsonl");
    List<String> lines = new ArrayList<>();
    LabelledSet set = Datasets.idx(images, labels, 255);
    for (int i = 0; i < set.size(); i++) {
      lines.add(
          Json.write(java.util.Map.of("input", set.examples().get(i), "label", set.labels()[i])));
    }
    Files.write(jsonl, lines);
    Run r =
        Run.calibrate(
            "--jsonl", jsonl.toString(),
            "--edge-model", edge.toString(),
            "--cloud-model", cloud.toString(),
            "--cloud-model-name", "big",
            "--target-edge-share", "0.7",
            "--chart", dir.resolve("c.svg").toString());

    assertThat(r.status()).as(r.err()).isZero();
    Matcher m = Pattern.compile("-> ([0-9.]+)% on the edge").matcher(r.out());
    assertThat(m.find()).isTrue();
    assertThat(Double.parseDouble(m.group(1))).isGreaterThanOrEqualTo(70.0);
    assertThat(r.out())
        .contains("\"cloudModel\":\"big\"")
        .contains("\"measure\":\"MAX_PROBABILITY\"");
  }

  @Test
  void anUnreachableTargetExitsOne() {
    Run r =
        Run.calibrate(
            "--images", images.toString(),
            "--labels", labels.toString(),
            "--edge-model", edge.toString(),
            "--cloud-model", edge.toString(), // a cloud no better than the edge
            "--target-accuracy", "1.0",
            "--limit", "100",
            "--chart", dir.resolve("x.svg").toString());
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out()).contains("validation set: 100 examples").contains("TARGET NOT REACHED");
  }

  @Test
  void modelsAreNamedAfterTheirDirectoriesOrTheNameOptions() throws IOException {
    Path repo = dir.resolve("models");
    Path e = Files.createDirectories(repo.resolve("fashion-edge").resolve("1"));
    Path c = Files.createDirectories(repo.resolve("fashion-cloud").resolve("3"));
    Files.copy(edge, e.resolve("model.onnx"));
    Files.copy(cloud, c.resolve("model.onnx"));
    Run r =
        Run.calibrate(
            "--images", images.toString(),
            "--labels", labels.toString(),
            "--edge-model", e.resolve("model.onnx").toString(),
            "--cloud-model", c.resolve("model.onnx").toString(),
            "--target-edge-share", "0.5",
            "--limit", "50",
            "--chart", dir.resolve("named.svg").toString());
    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("edge  fashion-edge ")
        .contains("cloud fashion-cloud ")
        .contains("\"cloudModel\":\"fashion-cloud\"")
        .doesNotContain("model.onnx")
        .doesNotContain("\"cloudModel\":\"model\"");
    assertThat(Files.readString(dir.resolve("named.svg")))
        .contains("fashion-edge -&gt; fashion-cloud");

    Run named =
        Run.calibrate(
            "--images", images.toString(),
            "--labels", labels.toString(),
            "--edge-model", e.resolve("model.onnx").toString(),
            "--cloud-model", cloud.toString(),
            "--edge-model-name", "gateway",
            "--target-edge-share", "0.5",
            "--limit", "50",
            "--chart", dir.resolve("named2.svg").toString());
    assertThat(named.status()).as(named.err()).isZero();
    assertThat(named.out())
        .contains("edge  gateway ")
        .contains("cloud cloud-mlp ")
        .contains("\"cloudModel\":\"cloud-mlp\"");
    assertThat(CalibrateCommand.modelName("http://cloud:8080/v2/models/resnet"))
        .isEqualTo("resnet");
    assertThat(CalibrateCommand.modelName("m/model.onnx")).isEqualTo("m");
  }
}
