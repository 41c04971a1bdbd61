package dev.strata.cli.demo;

import dev.strata.core.DataType;
import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.core.Tensor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Requests of raw images and the classes read from the answers. */
final class Classifications {
  /** The input the reference models take (raw images are decoded by their preprocessing). */
  static final String INPUT = "input";

  /** The output the reference models answer with. */
  static final String OUTPUT = "probabilities";

  private Classifications() {}

  /** One request of PNG images, a batch of {@code images.size()}. */
  static InferenceRequest request(
      String model, List<LabelledImage> images, Map<String, Object> parameters, Duration timeout) {
    List<byte[]> png = new ArrayList<>(images.size());
    for (LabelledImage image : images) {
      png.add(image.png());
    }
    return new InferenceRequest(
        model,
        Optional.empty(),
        "",
        List.of(Tensor.ofBytes(INPUT, Shape.of(png.size()), png)),
        List.of(),
        parameters,
        Optional.of(timeout));
  }

  /** The probabilities of each row of an answer ({@value #OUTPUT}, else its first float output). */
  static List<double[]> rows(InferenceResponse response) {
    Tensor t =
        response
            .output(OUTPUT)
            .or(
                () ->
                    response.outputs().stream()
                        .filter(o -> o.datatype() == DataType.FP32 || o.datatype() == DataType.FP64)
                        .findFirst())
            .orElseThrow(
                () ->
                    StrataException.invalid(
                        "model %s answered without a floating-point output", response.model()));
    double[] values = t.asDoubles();
    long[] dims = t.shape().toArray();
    int classes = dims.length == 0 ? 1 : (int) dims[dims.length - 1];
    if (classes < 1 || values.length % classes != 0) {
      throw StrataException.invalid(
          "model %s output %s has shape %s (expected: [batch, classes])",
          response.model(), t.name(), t.shape());
    }
    List<double[]> rows = new ArrayList<>(values.length / classes);
    for (int from = 0; from < values.length; from += classes) {
      double[] row = new double[classes];
      System.arraycopy(values, from, row, 0, classes);
      rows.add(row);
    }
    return rows;
  }

  /** The class of the first row. */
  static int classOf(InferenceResponse response) {
    return argmax(rows(response).getFirst());
  }

  /** The index of the largest value (the first of equals). */
  static int argmax(double[] values) {
    int best = 0;
    for (int i = 1; i < values.length; i++) {
      if (values[i] > values[best]) {
        best = i;
      }
    }
    return best;
  }
}
