package dev.strata.edge;

import static java.util.Objects.requireNonNull;

import dev.strata.core.ModelMetadata;
import dev.strata.core.Tensor;
import dev.strata.core.TensorSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Which output of a model the cascade reads its confidence from, and how to turn that output into
 * probabilities. The output is the first floating-point one whose name says it holds probabilities
 * ({@code prob}, {@code softmax}) or logits ({@code logit}), else the first floating-point output.
 * Probabilities are used as they are and logits go through softmax; an output whose name says
 * neither is judged row by row ({@link Kind#AUTO}): a row that is already a distribution is one,
 * anything else is taken as logits. A single-value row is a binary classifier's positive-class
 * probability (or logit, through the logistic function).
 *
 * @param output the output's name
 * @param kind how its values become probabilities
 * @param batching whether the first dimension is the batch (one confidence per row)
 */
public record ScoreSpec(String output, Kind kind, boolean batching) {
  /** How an output's values become probabilities. */
  public enum Kind {
    PROBABILITIES,
    LOGITS,
    AUTO
  }

  public ScoreSpec {
    requireNonNull(output, "output");
    requireNonNull(kind, "kind");
  }

  /** The spec for a model, or empty when it has no floating-point output to score. */
  public static Optional<ScoreSpec> of(ModelMetadata metadata) {
    boolean batching =
        metadata.parameters().get("max_batch_size") instanceof Number n && n.longValue() > 0;
    TensorSpec first = null;
    for (TensorSpec s : metadata.outputs()) {
      if (!s.datatype().isFloatingPoint()) {
        continue;
      }
      Kind kind = kindOf(s.name());
      if (kind != Kind.AUTO) {
        return Optional.of(new ScoreSpec(s.name(), kind, batching));
      }
      if (first == null) {
        first = s;
      }
    }
    return Optional.ofNullable(first).map(s -> new ScoreSpec(s.name(), Kind.AUTO, batching));
  }

  private static Kind kindOf(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    if (n.contains("logit")) {
      return Kind.LOGITS;
    }
    return n.contains("prob") || n.contains("softmax") ? Kind.PROBABILITIES : Kind.AUTO;
  }

  /** The output's rows (one per batch entry when batching, else the whole output) as they are. */
  public List<double[]> rows(Tensor t) {
    double[] values = t.asDoubles();
    int rows = batching && t.shape().rank() >= 2 ? (int) t.shape().dim(0) : 1;
    List<double[]> out = new ArrayList<>(rows);
    if (rows == 0 || values.length == 0) {
      return out;
    }
    int width = values.length / rows;
    for (int r = 0; r < rows; r++) {
      double[] row = new double[width];
      System.arraycopy(values, r * width, row, 0, width);
      out.add(row);
    }
    return out;
  }

  /** One row of the output as class probabilities. */
  public double[] distribution(double[] row) {
    if (row.length == 1) {
      double v = row[0];
      boolean logit = kind == Kind.LOGITS || (kind == Kind.AUTO && !(v >= 0 && v <= 1));
      double p = logit ? Confidence.sigmoid(v) : v;
      return new double[] {1 - p, p};
    }
    return switch (kind) {
      case PROBABILITIES -> row;
      case LOGITS -> Confidence.softmax(row);
      case AUTO -> Confidence.isDistribution(row) ? row : Confidence.softmax(row);
    };
  }
}
