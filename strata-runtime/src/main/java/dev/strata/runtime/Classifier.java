package dev.strata.runtime;

import dev.strata.core.Shape;
import dev.strata.core.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The classification extension: the top-k classes of an output as BYTES {@code
 * "score:index[:label]"} strings, formatted as Triton formats them (a floating-point score with six
 * decimals, an integer score as an integer), highest score first and, on ties, lowest index first.
 * A batching model's output is classified row by row into {@code [batch, k]}; a non-batching
 * model's whole output into {@code [k]}. {@code k} is capped at the number of classes.
 */
final class Classifier {
  private Classifier() {}

  static Tensor classify(Tensor output, int k, List<String> labels, boolean batching) {
    double[] values = output.asDoubles();
    int rows = batching ? (int) output.shape().dim(0) : 1;
    int classes = rows == 0 ? 0 : values.length / rows;
    int top = Math.min(k, classes);
    List<String> out = new ArrayList<>(rows * top);
    boolean floating = output.datatype().isFloatingPoint();
    Integer[] order = new Integer[classes];
    for (int row = 0; row < rows; row++) {
      int base = row * classes;
      for (int i = 0; i < classes; i++) {
        order[i] = i;
      }
      // a stable sort: equal scores keep the lower index first
      Arrays.sort(order, (a, b) -> Double.compare(values[base + b], values[base + a]));
      for (int j = 0; j < top; j++) {
        int index = order[j];
        double score = values[base + index];
        StringBuilder sb = new StringBuilder(24);
        sb.append(floating ? String.format(Locale.ROOT, "%f", score) : Long.toString((long) score));
        sb.append(':').append(index);
        if (index < labels.size()) {
          sb.append(':').append(labels.get(index));
        }
        out.add(sb.toString());
      }
    }
    Shape shape = batching ? Shape.of(rows, top) : Shape.of(top);
    return Tensor.ofStrings(output.name(), shape, out);
  }
}
