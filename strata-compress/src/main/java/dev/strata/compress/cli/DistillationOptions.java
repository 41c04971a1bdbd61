package dev.strata.compress.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.strata.train.training.Distillation;
import picocli.CommandLine.Option;

/** {@code --temperature} and {@code --alpha} of the distillation loss (distill, prune). */
public final class DistillationOptions {
  @Option(
      names = "--temperature",
      paramLabel = "T",
      defaultValue = "4",
      description = "Softens teacher and student distributions (default: ${DEFAULT-VALUE}).")
  double temperature;

  @Option(
      names = "--alpha",
      paramLabel = "A",
      defaultValue = "0.5",
      description =
          "Weight of the labels' loss; 1 - A goes to the teacher (default: ${DEFAULT-VALUE}).")
  double alpha;

  Distillation of(Distillation.Teacher teacher) {
    return new Distillation(teacher, temperature, alpha);
  }

  /** Records the loss's settings in a provenance object. */
  void describe(ObjectNode provenance) {
    provenance.put("temperature", temperature);
    provenance.put("alpha", alpha);
  }
}
