package dev.strata.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.strata.api.CloudApiClient;
import dev.strata.api.Variant;
import dev.strata.compress.cli.CompressCommand;
import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.Shape;
import dev.strata.core.Tensor;
import dev.strata.registry.testing.TestDb;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

/**
 * A quantized model takes the normal deployment path: the reference classifier is registered,
 * {@code strata compress quantize --publish} adds its int8 as a variant of the same version (with
 * method, metrics and parent digest), a deployment of that variant reaches an enrolled edge, and
 * the edge answers exactly what the int8 file gives in ONNX Runtime here.
 */
@Timeout(240)
class CompressedEdgeModelIT {
  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  static final Path CNN = ROOT.resolve("models/fashion-cnn/model.onnx");
  static final Path SUBSET = ROOT.resolve("data/fashion-mnist-subset");

  @RegisterExtension final Harness harness = new Harness();

  @Test
  void theInt8VariantIsPublishedDeployedAndServedByTheEdge() throws Exception {
    CloudProcess cloud = harness.cloud(TestDb.SQLITE);
    CloudApiClient api = cloud.admin().api();
    Variant registered = Models.registerOnnx(api, "fashion", CNN, "fp32");
    long version = registered.version();
    String parentSha = registered.sha256();

    Path token = harness.dir().resolve("admin-token");
    Files.writeString(token, CloudProcess.ADMIN_TOKEN);
    Path int8 = harness.dir().resolve("fashion-int8.onnx");
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new CompressCommand());
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int exit =
        cli.execute(
            "quantize",
            "--model",
            CNN.toString(),
            "--out",
            int8.toString(),
            "--method",
            "static",
            "--calibration",
            SUBSET.toString(),
            "--calibration-size",
            "128",
            "--per-channel",
            "--eval",
            SUBSET.toString(),
            "--max-accuracy-drop",
            "1",
            "--publish",
            cloud.url().toString(),
            "--admin-token-file",
            token.toString(),
            "--model-name",
            "fashion",
            "--version",
            Long.toString(version),
            "--variant",
            "int8");
    assertThat(exit).as("%s%s", out, err).isZero();
    assertThat(out.toString()).contains("published fashion version " + version + " variant int8");

    Variant v = api.variant("fashion", version, "int8");
    assertThat(v.sha256()).isEqualTo(CloudApiClient.sha256(int8));
    assertThat(v.provenance())
        .containsEntry("method", "static")
        .containsEntry("calibrate", "minmax")
        .containsEntry("parent_sha256", parentSha)
        .containsKey("calibration_sha256");
    assertThat(v.metrics()).containsKeys("accuracy", "accuracy_drop_points", "size_ratio");
    assertThat(v.metrics().get("size_ratio")).isGreaterThan(3.5);

    // a pruned model is published the same way, under its own default variant name
    Path pruned = harness.dir().resolve("fashion-structured-50.onnx");
    StringWriter pout = new StringWriter();
    CommandLine prune = new CommandLine(new CompressCommand());
    prune.setOut(new PrintWriter(pout));
    prune.setErr(new PrintWriter(err));
    exit =
        prune.execute(
            "prune",
            "--model",
            CNN.toString(),
            "--data",
            SUBSET.toString(),
            "--out",
            pruned.toString(),
            "--sparsity",
            "0.5",
            "--structured",
            "--epochs",
            "1",
            "--quiet",
            "--publish",
            cloud.url().toString(),
            "--admin-token-file",
            token.toString(),
            "--model-name",
            "fashion",
            "--version",
            Long.toString(version));
    assertThat(exit).as("%s%s", pout, err).isZero();
    Variant p = api.variant("fashion", version, "structured-50");
    assertThat(p.sha256()).isEqualTo(CloudApiClient.sha256(pruned));
    assertThat(p.provenance())
        .containsEntry("compression", "prune")
        .containsEntry("method", "structured")
        .containsEntry("parent_sha256", parentSha);
    assertThat(p.metrics().get("macs_ratio")).isGreaterThan(3.5);

    EdgeProcess edge = harness.edge("edge-1", cloud, Map.of("site", "lab"));
    cloud.admin().apply("fashion-edge", Spec.edge("fashion", version).variant("int8"));
    await("edge-1 serving the int8 variant")
        .atMost(Steps.ROLLOUT)
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(() -> edge.rest().modelReady("fashion", java.util.Optional.empty()));
    assertThat(edge.dataDir().resolve("artifacts").resolve(v.sha256())).exists();

    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession local = env.createSession(int8.toString(), new OrtSession.SessionOptions())) {
      Random r = new Random(3);
      for (int i = 0; i < 10; i++) {
        float[] x = new float[784];
        for (int k = 0; k < x.length; k++) {
          x[k] = (float) r.nextGaussian();
        }
        InferenceResponse answer =
            edge.rest()
                .infer(
                    InferenceRequest.of(
                        "fashion", List.of(Tensor.ofFloats("input", Shape.of(1, 1, 28, 28), x))));
        float[] served = answer.output("probabilities").orElseThrow().floats();
        float[] expected;
        try (OnnxTensor in =
                OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {1, 1, 28, 28});
            OrtSession.Result res = local.run(Map.of("input", in))) {
          expected = ((float[][]) res.get(0).getValue())[0];
        }
        for (int k = 0; k < expected.length; k++) {
          assertThat(served[k])
              .as("sample %d class %d", i, k)
              .isCloseTo(expected[k], org.assertj.core.data.Offset.offset(1e-6f));
        }
      }
    }
  }
}
