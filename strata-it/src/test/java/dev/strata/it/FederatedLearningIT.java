package dev.strata.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.api.CloudApiClient;
import dev.strata.api.ModelSignature;
import dev.strata.api.Variant;
import dev.strata.control.Json;
import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.Shape;
import dev.strata.core.Tensor;
import dev.strata.federated.cli.FederatedCommand;
import dev.strata.onnx.OnnxModels;
import dev.strata.preprocess.FittedPipeline;
import dev.strata.preprocess.RawImage;
import dev.strata.registry.testing.TestDb;
import dev.strata.train.data.DataSources;
import dev.strata.train.data.Dataset;
import dev.strata.train.data.IdxFiles;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

/**
 * Federated learning end to end (issue 12 §6): a cloud and three edge processes, each with its own
 * shard of the data, run a 3-round job under secure aggregation started with {@code strata
 * federated start}; one edge is killed in the middle of a round. The job completes with the other
 * two, its result is registered as a new version (variant {@code federated}), deployed back to the
 * edges by the normal deployment path, and the edges serve it.
 */
@Timeout(600)
class FederatedLearningIT {
  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  static final Path CNN = ROOT.resolve("models/fashion-cnn/model.onnx");
  static final Path SUBSET = ROOT.resolve("data/fashion-mnist-subset");

  @RegisterExtension final Harness harness = new Harness();

  @Test
  void threeEdgesTrainUnderSecureAggregationAndServeTheResult() throws Exception {
    CloudProcess cloud = harness.cloud(TestDb.SQLITE);
    CloudApiClient api = cloud.admin().api();
    Variant start = Models.registerOnnx(api, "fashion", CNN, "default");
    long version = start.version();
    ModelProto parent = OnnxModels.readDescription(CNN);
    ModelSignature signature = start.signature();

    // three shards of the subset's first 1,500 training images, one per edge (IDX files without a
    // labels.txt: classes by index)
    Dataset.Images all = DataSources.readIdx(SUBSET, "train");
    List<EdgeProcess> edges = new ArrayList<>();
    for (int e = 0; e < 3; e++) {
      Path shard = harness.dir().resolve("shard-" + e);
      Files.createDirectories(shard);
      List<RawImage> images = new ArrayList<>();
      List<Integer> labels = new ArrayList<>();
      for (int i = e; i < 1500; i += 3) {
        images.add(all.images().get(i));
        labels.add(all.labels()[i]);
      }
      IdxFiles.writeImages(shard.resolve("train-images-idx3-ubyte.gz"), images);
      IdxFiles.writeLabels(
          shard.resolve("train-labels-idx1-ubyte.gz"),
          labels.stream().mapToInt(Integer::intValue).toArray());
      edges.add(
          harness.edge(
              "edge-" + e,
              cloud,
              Optional.of(cloud.admin().enrollmentToken(Map.of("train", "yes"))),
              List.of("--train-data", shard.toString()),
              List.of()));
    }

    Path token = harness.dir().resolve("admin-token");
    Files.writeString(token, CloudProcess.ADMIN_TOKEN);
    String out =
        cli(
            "start",
            "--cloud",
            cloud.url().toString(),
            "--admin-token-file",
            token.toString(),
            "--job-id",
            "fl-1",
            "--model",
            "fashion",
            "--version",
            Long.toString(version),
            "--selector",
            "train=yes",
            "--rounds",
            "3",
            "--clients-per-round",
            "3",
            "--min-clients",
            "2",
            "--round-deadline",
            "30",
            "--local-epochs",
            "1",
            "--local-learning-rate",
            "0.005",
            "--secure-aggregation");
    assertThat(out).contains("federated job fl-1 started");

    // kill one edge while round 2 runs with all three
    await("round 2 under way with three nodes")
        .atMost(Duration.ofMinutes(4))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              JsonNode s = status(cloud).get("job");
              return s.get("rounds").size() == 1
                  && s.get("selected").size() == 3
                  && !s.get("phase").asText().equals("WAITING");
            });
    edges.get(2).kill();

    await("the job completes with the two edges left")
        .atMost(Duration.ofMinutes(5))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> status(cloud).get("job").get("state").asText().equals("COMPLETED"));
    JsonNode done = status(cloud);
    JsonNode rounds = done.get("job").get("rounds");
    assertThat(rounds).hasSize(3);
    assertThat(rounds.get(0).get("participants").asInt()).isEqualTo(3);
    assertThat(rounds.get(1).get("participants").asInt()).isEqualTo(2);
    // the killed edge sank round 2's first attempt (3 nodes under secure aggregation tolerate no
    // drop); it ran again with the two left
    assertThat(rounds.get(1).get("attempts").asInt()).isGreaterThanOrEqualTo(2);
    assertThat(rounds.get(1).get("dropouts").asInt() + rounds.get(1).get("stragglers").asInt())
        .isGreaterThanOrEqualTo(1);
    assertThat(rounds.get(2).get("participants").asInt()).isEqualTo(2);
    for (JsonNode r : rounds) {
      // the nodes measured the global model on their held-out tenth before training
      assertThat(r.get("evalAccuracy").asDouble()).isGreaterThan(0.7);
    }
    String status =
        cli(
            "status",
            "fl-1",
            "--cloud",
            cloud.url().toString(),
            "--admin-token-file",
            token.toString());
    assertThat(status)
        .contains("fl-1: completed")
        .contains("round 3: 2 updates")
        .contains("registered: fashion version");

    long federated = done.get("registered").get("version").asLong();
    Variant v = api.variant("fashion", federated, "federated");
    assertThat(v.provenance())
        .containsEntry("job", "fl-1")
        .containsEntry("secure_aggregation", "true")
        .containsEntry("rounds", "3");
    assertThat(v.signature()).isEqualTo(signature);

    cloud
        .admin()
        .apply(
            "fashion-fl",
            Spec.edge("fashion", federated).variant("federated").selector("train=yes"));
    for (EdgeProcess edge : edges.subList(0, 2)) {
      await(edge + " serving the federated version")
          .atMost(Steps.ROLLOUT)
          .pollInterval(Duration.ofMillis(200))
          .ignoreExceptions()
          .until(() -> edge.rest().modelReady("fashion", Optional.of(Long.toString(federated))));
      Dataset.Images test = DataSources.readIdx(SUBSET, "t10k");
      FittedPipeline pipeline =
          FittedPipeline.fromModelMetadata(OnnxModels.metadata(parent)).orElseThrow();
      int correct = 0;
      for (int i = 0; i < 50; i++) {
        float[] x = pipeline.applyImage(test.images().get(i), "test image " + i);
        InferenceResponse answer =
            edge.rest()
                .infer(
                    InferenceRequest.of(
                        "fashion", List.of(Tensor.ofFloats("input", Shape.of(1, 1, 28, 28), x))));
        float[] p = answer.output("probabilities").orElseThrow().floats();
        int best = 0;
        for (int k = 1; k < p.length; k++) {
          if (p[k] > p[best]) {
            best = k;
          }
        }
        correct += best == test.labels()[i] ? 1 : 0;
      }
      assertThat(correct).as("%s: correct of 50", edge).isGreaterThan(35);
    }
  }

  private static JsonNode status(CloudProcess cloud) throws Exception {
    return Json.mapper()
        .readTree(
            cloud.admin().api().exchange("GET", "/api/v1/federated/jobs/fl-1", null, null).body());
  }

  private static String cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    java.io.PrintStream was = System.out;
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    System.setOut(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      CommandLine c = new CommandLine(new FederatedCommand());
      c.setOut(new PrintWriter(out));
      c.setErr(new PrintWriter(err));
      int exit = c.execute(args);
      assertThat(exit).as("%s%s%s", captured, out, err).isZero();
    } finally {
      System.setOut(was);
    }
    return captured.toString(java.nio.charset.StandardCharsets.UTF_8) + out;
  }
}
