package dev.strata.edge.calibrate;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.strata.control.Json;
import dev.strata.llm.generate.GenerationRequest;
import dev.strata.llm.generate.LlamaEngine;
import dev.strata.llm.gguf.GgmlType;
import dev.strata.llm.testing.TinyModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code strata calibrate --prompts} on two tiny random GGUF models, with the cloud model's own
 * greedy continuations as the references (so cloud only is 100% and the edge model, another random
 * model, far from it): the trade-off is printed, the policy uses AGREEMENT, a target is chosen and
 * checked on held-out prompts.
 */
class LanguageModelCalibrateIT {
  static final String[] PROMPTS = {
    "the cat",
    "in the",
    "there is",
    "the rain",
    "a thing",
    "then the",
    "here in",
    "the end",
    "other th",
    "the inn",
    "her in",
    "in three"
  };

  @TempDir Path dir;
  Path edge;
  Path cloud;
  Path prompts;

  @BeforeEach
  void writeModelsAndPrompts() throws Exception {
    edge = TinyModels.write(dir.resolve("small.gguf"), 5, GgmlType.F32);
    cloud = TinyModels.write(dir.resolve("big.gguf"), 9, GgmlType.F32);
    StringBuilder lines = new StringBuilder();
    try (LlamaEngine e = LlamaEngine.open(cloud, new LlamaEngine.Options(1, 256, 2, 4))) {
      for (String p : PROMPTS) {
        // what the calibration generates: greedy, 4 words' worth of tokens + 4
        String ref =
            e.complete(
                new GenerationRequest(p, 20, 0, 1, OptionalLong.of(1), List.of()),
                Duration.ofMinutes(1));
        ObjectNode o = Json.mapper().createObjectNode();
        o.put("prompt", p);
        o.put("reference", ref);
        lines.append(o).append('\n');
      }
    }
    prompts = Files.writeString(dir.resolve("prompts.jsonl"), lines);
  }

  @Test
  void choosesAnAgreementThresholdForAnEdgeShareAndChecksItOnHeldOutPrompts() throws Exception {
    Path chart = dir.resolve("lm.svg");
    Run r =
        Run.calibrate(
            "--prompts", prompts.toString(),
            "--test-prompts", prompts.toString(),
            "--edge-model", edge.toString(),
            "--cloud-model", cloud.toString(),
            "--target-edge-share", "0.5",
            "--chart", chart.toString());
    assertThat(r.status()).as(r.out() + r.err()).isZero();
    assertThat(r.out())
        .contains("validation set: " + PROMPTS.length + " prompts; measure agreement")
        .contains("cloud big")
        .containsPattern("cloud big +quality 100\\.00%")
        .contains("\"measure\":\"AGREEMENT\"")
        .contains("\"cloudModel\":\"big\"")
        .contains("held-out prompts (" + PROMPTS.length + "): ")
        .contains("cloud only 100.00%");
    assertThat(Files.readString(chart)).contains("<svg").contains("cascade quality");

    // every bit of the cloud's quality: nothing may stay on the edge that the edge gets wrong
    Run strict =
        Run.calibrate(
            "--prompts", prompts.toString(),
            "--edge-model", edge.toString(),
            "--cloud-model", cloud.toString(),
            "--max-relative-loss", "0",
            "--chart", chart.toString());
    assertThat(strict.status()).as(strict.out() + strict.err()).isZero();
    assertThat(strict.out()).containsPattern("100\\.00% quality, [0-9]+ of 12 to the cloud");
  }

  @Test
  void aClassifierMeasureIsRefusedForPrompts() {
    Run r =
        Run.calibrate(
            "--prompts", prompts.toString(),
            "--edge-model", edge.toString(),
            "--cloud-model", cloud.toString(),
            "--measure", "max-probability",
            "--target-edge-share", "0.5");
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err()).contains("--prompts takes --measure agreement");
  }
}
