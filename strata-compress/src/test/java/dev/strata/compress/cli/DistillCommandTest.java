package dev.strata.compress.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.strata.compress.cli.QuantizeCommandTest.Run;
import dev.strata.onnx.OnnxModels;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code strata compress distill} as a user runs it: the reference model teaches the edge spec. */
class DistillCommandTest {
  @Test
  void theStudentIsTrainedOnTheTeachersSoftTargetsAndExportedLikeAnyModel(@TempDir Path dir)
      throws Exception {
    Path out = dir.resolve("student");
    Run r =
        QuantizeCommandTest.run(
            "distill",
            "--teacher",
            QuantizeCommandTest.CNN.toString(),
            "--student",
            QuantizeCommandTest.ROOT.resolve("models/fashion-edge/spec.yaml").toString(),
            "--data",
            QuantizeCommandTest.SUBSET.toString(),
            "--out",
            out.toString(),
            "--epochs",
            "2",
            "--temperature",
            "3",
            "--alpha",
            "0.4",
            "--quiet");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("(104,426 parameters) into fashion-edge (23,098 parameters", "teacher accuracy");
    assertThat(out.resolve("model.onnx")).exists();
    assertThat(out.resolve("metrics.json")).exists();
    assertThat(out.resolve("report.html")).exists();
    assertThat(out.resolve("training-log.jsonl")).exists();
    Map<String, String> meta = OnnxModels.metadata(OnnxModels.read(out.resolve("model.onnx")));
    JsonNode c = new ObjectMapper().readTree(meta.get(QuantizeCommand.COMPRESSION_KEY));
    assertThat(c.path("method").asText()).isEqualTo("distill");
    assertThat(c.path("temperature").asDouble()).isEqualTo(3.0);
    assertThat(c.path("alpha").asDouble()).isEqualTo(0.4);
    assertThat(c.at("/teacher/sha256").asText())
        .isEqualTo(dev.strata.api.CloudApiClient.sha256(QuantizeCommandTest.CNN));
    // the student is a working classifier of the same data (2 epochs on 1,833 images)
    JsonNode metrics = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
    assertThat(metrics.at("/classification/accuracy").asDouble()).isGreaterThan(0.5);
  }

  @Test
  void mistakesAreClearErrors(@TempDir Path dir) {
    Run r =
        QuantizeCommandTest.run(
            "distill",
            "--teacher",
            QuantizeCommandTest.CNN.toString(),
            "--student",
            QuantizeCommandTest.ROOT.resolve("models/fashion-edge/spec.yaml").toString(),
            "--data",
            QuantizeCommandTest.SUBSET.toString(),
            "--out",
            dir.resolve("s").toString(),
            "--alpha",
            "1.5");
    assertThat(r.err()).contains("--alpha 1.5 (expected: 0 <= alpha <= 1)");
  }
}
