package dev.strata.llm.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class SampledAgreementTest {
  @Test
  void scoresTheShareOfTheAnswersFirstTokensEachSampleRepeats() {
    List<String> answer = List.of(" the", " LORD", " said", ",");
    assertThat(SampledAgreement.score(answer, List.of(answer, answer), 16)).isEqualTo(1.0);
    // position by position: the first sample repeats 2 of 4, the second 1 (the third token only)
    double s =
        SampledAgreement.score(
            answer,
            List.of(List.of(" the", " LORD", " spake"), List.of(" and", " God", " said", ";")),
            16);
    assertThat(s).isCloseTo((0.5 + 0.25) / 2, within(1e-12));
    // only the first `tokens` of the answer count
    assertThat(SampledAgreement.score(answer, List.of(List.of(" the", " x", " y", " z")), 1))
        .isEqualTo(1.0);
    // an empty answer agrees with empty samples only
    assertThat(SampledAgreement.score(List.of(), List.of(List.of(), List.of("a")), 16))
        .isEqualTo(0.5);
  }

  @Test
  void samplesAreSeededShortAndKeepTheRequestsStopsAndBiases() {
    GenerationRequest r =
        new GenerationRequest(
            "p", 100, 0, 0.5, OptionalLong.empty(), List.of("\n"), Map.of(7, -100.0));
    List<GenerationRequest> s = SampledAgreement.samples(r);
    assertThat(s).hasSize(SampledAgreement.SAMPLES);
    assertThat(s).extracting(GenerationRequest::seed).doesNotHaveDuplicates();
    assertThat(s)
        .allSatisfy(
            x -> {
              assertThat(x.maxTokens()).isEqualTo(SampledAgreement.TOKENS);
              assertThat(x.temperature()).isEqualTo(SampledAgreement.TEMPERATURE);
              assertThat(x.stop()).containsExactly("\n");
              assertThat(x.logitBias()).containsEntry(7, -100.0);
            });
  }
}
