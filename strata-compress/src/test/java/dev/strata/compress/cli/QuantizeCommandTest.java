package dev.strata.compress.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.strata.onnx.OnnxModels;
import dev.strata.preprocess.ModelMetadataKeys;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code strata compress quantize} as a user runs it, on the reference model and on MiniLM. */
class QuantizeCommandTest {
  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  static final Path CNN = ROOT.resolve("models/fashion-cnn/model.onnx");
  static final Path SUBSET = ROOT.resolve("data/fashion-mnist-subset");
  static final Path SENTENCES = ROOT.resolve("data/sentences/kjv-matthew-1000.txt");

  record Run(int exit, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine c = new CommandLine(new CompressCommand());
    c.setOut(new PrintWriter(out));
    c.setErr(new PrintWriter(err));
    int exit = c.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void staticInt8OfTheReferenceModelKeepsItsAccuracySignatureAndMetadata(@TempDir Path dir)
      throws Exception {
    Path out = dir.resolve("int8.onnx");
    Path json = dir.resolve("report.json");
    Run r =
        run(
            "quantize",
            "--model",
            CNN.toString(),
            "--out",
            out.toString(),
            "--method",
            "static",
            "--calibration",
            SUBSET.toString(),
            "--calibration-size",
            "256",
            "--per-channel",
            "--eval",
            SUBSET.toString(),
            "--max-accuracy-drop",
            "1",
            "--json",
            json.toString());
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("3 BatchNorm folded", "wrote " + out);
    JsonNode report = new ObjectMapper().readTree(json.toFile());
    assertThat(report.path("size_ratio").asDouble()).isGreaterThan(3.5);
    assertThat(report.at("/eval/accuracy_drop_points").asDouble()).isLessThanOrEqualTo(1.0);
    assertThat(report.at("/eval/quantized_accuracy").asDouble()).isGreaterThan(0.85);

    ModelProto original = OnnxModels.read(CNN);
    ModelProto quantized = OnnxModels.read(out);
    assertThat(OnnxModels.inputs(quantized)).isEqualTo(OnnxModels.inputs(original));
    assertThat(OnnxModels.outputs(quantized)).isEqualTo(OnnxModels.outputs(original));
    Map<String, String> meta = OnnxModels.metadata(quantized);
    OnnxModels.metadata(original).entrySet().stream()
        .filter(e -> !e.getKey().equals(ModelMetadataKeys.METRICS))
        .forEach(e -> assertThat(meta).containsEntry(e.getKey(), e.getValue()));
    // its own evaluation replaces the parent's, which described the float model
    assertThat(
            new ObjectMapper()
                .readTree(meta.get(ModelMetadataKeys.METRICS))
                .at("/classification/accuracy")
                .asDouble())
        .isEqualTo(report.at("/eval/quantized_accuracy").asDouble());
    JsonNode provenance = new ObjectMapper().readTree(meta.get(QuantizeCommand.COMPRESSION_KEY));
    assertThat(provenance.path("method").asText()).isEqualTo("static");
    assertThat(provenance.path("calibrate").asText()).isEqualTo("minmax");
    assertThat(provenance.at("/calibration/samples").asInt()).isEqualTo(256);
    assertThat(provenance.at("/calibration/sha256").asText()).hasSize(64);
    assertThat(provenance.at("/parent/sha256").asText()).hasSize(64);
  }

  @Test
  void aResultThatLosesTooMuchIsNotWritten(@TempDir Path dir) throws Exception {
    Path model = copyMiniLm(dir);
    Path out = dir.resolve("int8.onnx");
    Run r =
        run(
            "quantize",
            "--model",
            model.toString(),
            "--out",
            out.toString(),
            "--method",
            "dynamic",
            "--eval",
            SENTENCES.toString(),
            "--eval-size",
            "16",
            "--min-cosine",
            "0.99999");
    assertThat(r.exit()).as(r.err()).isEqualTo(3);
    assertThat(r.out()).contains("not written: mean cosine", "below --min-cosine 0.99999");
    assertThat(out).doesNotExist();
    try (Stream<Path> left = Files.list(dir)) {
      assertThat(left.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("model.onnx", "tokenizer.json");
    }
  }

  @Test
  void mistakesAreClearErrors(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("x.onnx");
    assertThat(
            run(
                    "quantize",
                    "--model",
                    CNN.toString(),
                    "--out",
                    out.toString(),
                    "--method",
                    "static")
                .err())
        .contains("--method static needs --calibration DATA");
    assertThat(
            run("quantize", "--model", CNN.toString(), "--out", out.toString(), "--method", "fp4")
                .err())
        .contains("--method 'fp4' (expected: static or dynamic)");
    assertThat(
            run(
                    "quantize",
                    "--model",
                    CNN.toString(),
                    "--out",
                    out.toString(),
                    "--method",
                    "static",
                    "--calibration",
                    SUBSET.toString(),
                    "--calibrate",
                    "mse")
                .err())
        .contains("calibration method 'mse' (expected: minmax, percentile or entropy)");
    assertThat(
            run(
                    "quantize",
                    "--model",
                    copyMiniLm(dir).toString(),
                    "--out",
                    out.toString(),
                    "--method",
                    "static",
                    "--calibration",
                    SUBSET.toString())
                .err())
        .contains("has no Strata preprocessing in its metadata");
    assertThat(out).doesNotExist();
  }

  private static Path copyMiniLm(Path dir) throws Exception {
    Path model = dir.resolve("model.onnx");
    if (Files.exists(model)) {
      return model;
    }
    ClassLoader cl = QuantizeCommandTest.class.getClassLoader();
    try (InputStream in = cl.getResourceAsStream("all-minilm-l6-v2.onnx")) {
      Files.copy(in, model);
    }
    try (InputStream in = cl.getResourceAsStream("all-minilm-l6-v2-tokenizer.json")) {
      Files.copy(in, dir.resolve("tokenizer.json"));
    }
    return model;
  }
}
