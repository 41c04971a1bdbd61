package dev.strata.train.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.llm.gguf.GgufMetadata;
import dev.strata.train.TestSupport;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code strata train} on the reference edge language model's own spec (a quick run on a shipped
 * excerpt of the corpus), then {@code strata export --format gguf}: the commands a user runs.
 */
class LanguageModelCommandsTest {
  @TempDir Path dir;

  @Test
  void trainThenExportQuantizedGguf() throws Exception {
    Path sample = Path.of(getClass().getResource("/lm/devils-dictionary-sample.txt").toURI());
    Path run = dir.resolve("run");
    int rc =
        cli()
            .execute(
                "train",
                "--spec",
                Path.of("../models/tiny-lm-edge/spec.yaml").toString(),
                "--data",
                sample.toString(),
                "--out",
                run.toString(),
                "--steps",
                "20",
                "--quiet",
                "--threads",
                "2",
                "--data-dir",
                TestSupport.CONFIG.dataDir().toString());
    assertThat(rc).isZero();
    for (String f :
        new String[] {
          "spec.yaml", "tokenizer.json", "lm.params", "training-log.jsonl", "metrics.json"
        }) {
      assertThat(run.resolve(f)).isRegularFile();
    }

    Path gguf = dir.resolve("repo/lm/1/model.gguf");
    PrintStream stdout = System.out;
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
    try {
      rc =
          cli()
              .execute(
                  "export",
                  "--checkpoint",
                  run.toString(),
                  "--format",
                  "gguf",
                  "--type",
                  "q8_0",
                  "--out",
                  gguf.toString(),
                  "--prompt",
                  "LOVE, n.",
                  "--threads",
                  "2",
                  "--data-dir",
                  TestSupport.CONFIG.dataDir().toString());
    } finally {
      System.setOut(stdout);
    }
    assertThat(rc).isZero();
    assertThat(printed.toString(StandardCharsets.UTF_8))
        .contains("exported tiny-lm-edge (")
        .contains("as Q8_0");
    GgufMetadata meta = GgufMetadata.read(gguf);
    assertThat(meta.string("general.name")).contains("tiny-lm-edge");
    assertThat(meta.string("tokenizer.chat_template")).isPresent();
    try (var files = Files.list(gguf.getParent())) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("model.gguf");
    }

    StringWriter err = new StringWriter();
    CommandLine cl = cli();
    cl.setErr(new PrintWriter(err));
    rc =
        cl.execute(
            "export",
            "--checkpoint",
            run.toString(),
            "--format",
            "gguf",
            "--type",
            "q5_k",
            "--out",
            dir.resolve("x.gguf").toString());
    assertThat(rc).isNotZero();
    assertThat(err.toString()).contains("--type: 'q5_k' (expected: f32, f16, q8_0 or q4_0)");
    assertThat(dir.resolve("x.gguf")).doesNotExist();
  }

  private static CommandLine cli() {
    return StrataTrainCli.commandLine();
  }
}
