package dev.strata.preprocess;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SplitterTest {
  @Test
  void stratifiedSplitKeepsClassSharesAndIsSeeded() {
    int[] labels = IntStream.range(0, 1000).map(i -> i < 800 ? 0 : 1).toArray();
    Splitter.Parts a = Splitter.split(labels, new Step.Split(0.1, 0.2, 9, true));
    assertThat(a.validation()).hasSize(100);
    assertThat(a.test()).hasSize(200);
    assertThat(a.train()).hasSize(700);
    assertThat(Arrays.stream(a.validation()).filter(i -> labels[i] == 1).count()).isEqualTo(20);
    assertThat(Arrays.stream(a.test()).filter(i -> labels[i] == 1).count()).isEqualTo(40);
    int[] all =
        IntStream.concat(
                IntStream.concat(Arrays.stream(a.train()), Arrays.stream(a.validation())),
                Arrays.stream(a.test()))
            .sorted()
            .toArray();
    assertThat(all).containsExactly(IntStream.range(0, 1000).toArray());

    Splitter.Parts b = Splitter.split(labels, new Step.Split(0.1, 0.2, 9, true));
    assertThat(b.validation()).containsExactly(a.validation());
    Splitter.Parts c = Splitter.split(labels, new Step.Split(0.1, 0.2, 10, true));
    assertThat(c.validation()).isNotEqualTo(a.validation());
  }
}
