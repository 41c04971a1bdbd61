package dev.strata.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.cli.StrataCli;
import dev.strata.control.Json;
import dev.strata.core.InferenceResponse;
import dev.strata.runtime.ModelManager;
import dev.strata.runtime.RuntimeConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code strata demo --no-wait} end to end in this JVM, twice over one data directory: the second
 * run reuses the registry, the admin token and the edges. The figures are checked against the
 * models run here directly on the same held-out images.
 */
class DemoCommandIT {
  static final int IMAGES = 60;

  @TempDir Path dir;

  record Run(int exit, String out, String err) {}

  static Run run(String... args) {
    CommandLine cli = StrataCli.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int exit = cli.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  static Path root() {
    return Locations.findRoot(List.of(Path.of("").toAbsolutePath())).orElseThrow();
  }

  @Test
  void runsTwiceOverOneDataDirectoryWithSaneFigures() throws Exception {
    Path data = dir.resolve("demo");
    // found from the working directory (the module's), as ./strata demo finds them
    Run first =
        run(
            "demo",
            "--no-wait",
            "--data-dir",
            data.toString(),
            "--images",
            "" + IMAGES,
            "--warmup",
            "10",
            "--prompts",
            "6");
    assertThat(first.exit()).as(first.out() + first.err()).isZero();
    assertThat(first.out())
        .contains("state in " + data.toAbsolutePath() + " (new)")
        .contains("fashion-cnn v1 fp32 (new")
        .contains("fashion-edge v1 edge (new")
        .contains("[7/9] streaming " + IMAGES + " held-out images")
        .contains("tiny-lm-cloud v1 q8_0 (new")
        .contains("tiny-lm-edge v1 q8_0 (new")
        .contains("[9/9] streaming 6 held-out prompts")
        .contains("18 completions streamed")
        .containsPattern("edge only +tiny-lm-edge +[0-9.]+% +0\\.0%")
        .containsPattern("cloud only +tiny-lm-cloud +[0-9.]+% +100\\.0%")
        .containsPattern("cascade +tiny-lm-edge, else tiny-lm-cloud +[0-9.]+% +[0-9.]+%")
        .contains("edge only   fashion-edge")
        .contains("cloud only  fashion-cnn")
        .contains("answered at the edge:")
        .contains("edge a /v2  http://127.0.0.1:");
    assertThat(Files.getPosixFilePermissions(data.resolve("admin-token")))
        .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    assertThat(data.resolve("samples").resolve("ankle-boot.png")).isRegularFile();
    String token = Files.readString(data.resolve("admin-token"));
    String nodeA = Files.readString(data.resolve("edge-a").resolve("node.json"));
    JsonNode firstResults = Json.mapper().readTree(data.resolve("results.json").toFile());
    checkFigures(firstResults);

    Path root = root();
    Run second =
        run(
            "demo",
            "--no-wait",
            "--data-dir",
            data.toString(),
            "--images",
            "" + IMAGES,
            "--warmup",
            "10",
            "--prompts",
            "2",
            "--models",
            root.resolve("models").toString(),
            "--data",
            root.resolve("data/fashion-mnist-subset").toString(),
            "--edge-variant",
            "int8");
    assertThat(second.exit()).as(second.out() + second.err()).isZero();
    // the int8 variant of the cloud model on the edges, measured beside the edge model
    assertThat(second.out())
        .contains("[8/12] quantizing fashion-cnn to int8")
        .contains("fashion-cnn v1 int8 (new, sha256")
        .contains("[10/12] streaming the same " + IMAGES + " held-out images through the int8")
        .contains("edge only   fashion-cnn int8")
        .contains("Both edge variants side by side")
        .containsPattern("fashion-edge \\(trained for the edge\\) +[0-9.]+% +[0-9.]+ +[0-9.]+%")
        .containsPattern("fashion-cnn int8 \\(quantized\\) +[0-9.]+% +[0-9.]+ +[0-9.]+%");
    assertThat(second.out())
        .contains("(reused from an earlier run)")
        .contains(
            "fashion-cnn v1 fp32 (registered before), fashion-edge v1 edge (registered before)")
        .contains("revision 1 (unchanged), serving")
        .contains("revision 1 (unchanged), READY on both")
        .contains("tiny-lm-cloud v1 q8_0 (registered before) (revision 1 (unchanged))");
    assertThat(Files.readString(data.resolve("admin-token"))).isEqualTo(token);
    assertThat(Files.readString(data.resolve("edge-a").resolve("node.json"))).isEqualTo(nodeA);
    JsonNode secondResults = Json.mapper().readTree(data.resolve("results.json").toFile());
    checkFigures(secondResults);
    // the same threshold, the same answers: only latencies differ between runs
    assertThat(secondResults.at("/calibration/threshold").asDouble())
        .isEqualTo(firstResults.at("/calibration/threshold").asDouble());
    assertThat(secondResults.at("/summary/cascade/correct").asInt())
        .isEqualTo(firstResults.at("/summary/cascade/correct").asInt());
    // the int8 run's figures are in the file too (the first run had none)
    assertThat(firstResults.has("int8Summary")).isFalse();
    JsonNode int8 = secondResults.get("int8Summary");
    assertThat(int8.get("images").asInt()).isEqualTo(secondResults.at("/summary/images").asInt());
    assertThat(int8.at("/edgeOnly/count").asInt()).isEqualTo(int8.get("images").asInt());
    assertThat(int8.at("/edgeOnly/accuracy").asDouble()).isGreaterThan(0.8);
  }

  /** The run's figures against the models run here on the same images, and against each other. */
  private void checkFigures(JsonNode results) throws Exception {
    JsonNode cal = results.get("calibration");
    assertThat(cal.get("images").asInt()).isEqualTo(500);
    assertThat(cal.get("edgeShare").asDouble()).isBetween(0.8, 0.85);
    assertThat(cal.get("threshold").asDouble()).isStrictlyBetween(0.0, 1.0);

    JsonNode s = results.get("summary");
    assertThat(s.get("images").asInt()).isEqualTo(IMAGES);
    List<LabelledImage> measured =
        ShippedImages.split(ShippedImages.load(root().resolve("data/fashion-mnist-subset")), 1)
            .evaluation()
            .subList(0, IMAGES);
    int edgeRight = correct(root().resolve("models/fashion-edge/model.onnx"), measured);
    int cloudRight = correct(root().resolve("models/fashion-cnn/model.onnx"), measured);
    assertThat(s.at("/edgeOnly/correct").asInt()).isEqualTo(edgeRight);
    assertThat(s.at("/cloudOnly/correct").asInt()).isEqualTo(cloudRight);
    // the reference models are 91-93% accurate: far outside that on 60 images means a broken path
    assertThat(s.at("/edgeOnly/accuracy").asDouble()).isBetween(0.8, 1.0);
    assertThat(s.at("/cloudOnly/accuracy").asDouble()).isBetween(0.8, 1.0);
    assertThat(s.at("/cascade/accuracy").asDouble()).isBetween(0.8, 1.0);

    int atEdge = s.at("/cascadeAtEdge/count").asInt();
    int atCloud = s.at("/cascadeAtCloud/count").asInt();
    int fallback = s.at("/cascadeFallback/count").asInt();
    assertThat(fallback).isZero();
    assertThat(atEdge + atCloud).isEqualTo(IMAGES);
    assertThat(atEdge).isPositive();
    assertThat(atCloud).isPositive();
    assertThat(s.get("edgeShare").asDouble()).isCloseTo((double) atEdge / IMAGES, within(1e-9));

    // every cascade answer is the answer of the model that served it
    int cascadeRight = 0;
    int[] perEdge = new int[2];
    for (JsonNode o : results.get("images")) {
      String by = o.get("servedBy").asText();
      int expected = by.equals("edge") ? o.get("edgeOnly").asInt() : o.get("cloudOnly").asInt();
      assertThat(o.get("cascade").asInt()).as("image %s", o).isEqualTo(expected);
      cascadeRight += o.get("cascade").asInt() == o.get("label").asInt() ? 1 : 0;
      perEdge[o.get("edge").asInt()]++;
      assertThat(o.get("cascadeMicros").asLong()).isPositive();
    }
    assertThat(s.at("/cascade/correct").asInt()).isEqualTo(cascadeRight);
    assertThat(perEdge).containsExactly(IMAGES / 2, IMAGES / 2);
    for (String path : List.of("edgeOnly", "cloudOnly", "cascade")) {
      double p50 = s.at("/" + path + "/p50Millis").asDouble();
      assertThat(p50).as(path).isPositive();
      assertThat(s.at("/" + path + "/p99Millis").asDouble()).as(path).isGreaterThanOrEqualTo(p50);
    }
  }

  /** How many of the images the model names rightly, run here on the runtime. */
  private int correct(Path onnx, List<LabelledImage> images) throws Exception {
    Path repo = Files.createTempDirectory(dir, "check-");
    Files.createDirectories(repo.resolve("m/1"));
    Files.copy(onnx, repo.resolve("m/1/model.onnx"));
    try (ModelManager runtime =
        ModelManager.create(
            RuntimeConfig.builder(repo).drainTimeout(Duration.ofSeconds(5)).build())) {
      runtime.startup().join();
      int right = 0;
      for (LabelledImage image : images) {
        InferenceResponse r =
            runtime
                .infer(
                    Classifications.request("m", List.of(image), Map.of(), Duration.ofSeconds(30)))
                .join();
        right += Classifications.classOf(r) == image.label() ? 1 : 0;
      }
      return right;
    }
  }

  @Test
  void aMissingModelsDirectoryIsOneClearLine() {
    Run r =
        run(
            "demo",
            "--no-wait",
            "--data-dir",
            dir.resolve("x").toString(),
            "--models",
            "/nonexistent/models");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err().strip())
        .isEqualTo(
            "strata: --models: /nonexistent/models has no fashion-cnn/model.onnx (expected: the"
                + " repository's models/)");
  }

  @Test
  void aTakenPortIsOneClearLine() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      Run r =
          run(
              "demo",
              "--no-wait",
              "--data-dir",
              dir.resolve("y").toString(),
              "--cloud-port",
              Integer.toString(taken.getLocalPort()));
      assertThat(r.exit()).isEqualTo(1);
      assertThat(r.err().strip().lines().toList())
          .singleElement()
          .asString()
          .contains("cloud port " + taken.getLocalPort() + " on 127.0.0.1 is in use");
    }
  }
}
