package dev.strata.edge;

import dev.strata.control.ConfidenceMeasure;
import dev.strata.core.InferenceRequest;
import dev.strata.core.InferenceResponse;
import dev.strata.core.OutputRequest;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.core.Tensor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * How a cascade gets its confidence out of the edge's answer without changing what the client asked
 * for. If the client asked for every output, or for the scoring output as it is, the answer already
 * holds it. If the client asked for the scoring output's top-k classes, the edge is asked for all
 * classes (the classification extension sorts them, so the first {@code k} of each row are the
 * client's answer) and the rows are cut back to {@code k}. If the client did not ask for the
 * scoring output at all, it is added to the edge's request and removed from the answer.
 */
final class ScorePlan {
  private enum Mode {
    PRESENT,
    CLASSIFIED,
    ADDED
  }

  private final ScoreSpec spec;
  private final InferenceRequest edgeRequest;
  private final Mode mode;
  private final int k;

  private ScorePlan(ScoreSpec spec, InferenceRequest edgeRequest, Mode mode, int k) {
    this.spec = spec;
    this.edgeRequest = edgeRequest;
    this.mode = mode;
    this.k = k;
  }

  static ScorePlan of(InferenceRequest request, ScoreSpec spec) {
    if (request.outputs().isEmpty()) {
      return new ScorePlan(spec, request, Mode.PRESENT, 0);
    }
    List<OutputRequest> outputs = new ArrayList<>(request.outputs().size() + 1);
    Mode mode = Mode.ADDED;
    int k = 0;
    for (OutputRequest o : request.outputs()) {
      if (o.name().equals(spec.output())) {
        if (o.classification() == 0) {
          return new ScorePlan(spec, request, Mode.PRESENT, 0);
        }
        mode = Mode.CLASSIFIED;
        k = o.classification();
        outputs.add(new OutputRequest(o.name(), Integer.MAX_VALUE, o.parameters()));
      } else {
        outputs.add(o);
      }
    }
    if (mode == Mode.ADDED) {
      outputs.add(OutputRequest.of(spec.output()));
    }
    InferenceRequest edge =
        new InferenceRequest(
            request.model(),
            request.version(),
            request.id(),
            request.inputs(),
            outputs,
            request.parameters(),
            request.timeout());
    return new ScorePlan(spec, edge, mode, k);
  }

  InferenceRequest edgeRequest() {
    return edgeRequest;
  }

  /** The least confident row's score. */
  double score(InferenceResponse answer, ConfidenceMeasure measure) {
    Tensor t =
        answer
            .output(spec.output())
            .orElseThrow(
                () ->
                    StrataException.invalid(
                        "the answer of model '%s' has no output '%s'",
                        answer.model(), spec.output()));
    List<double[]> rows = mode == Mode.CLASSIFIED ? classifiedRows(t) : rawRows(t);
    double worst = Confidence.best(measure);
    for (double[] row : rows) {
      worst = Confidence.worst(measure, worst, Confidence.score(measure, spec.distribution(row)));
    }
    return worst;
  }

  /** The answer with the outputs the client asked for. */
  InferenceResponse restore(InferenceResponse answer) {
    if (mode == Mode.PRESENT) {
      return answer;
    }
    List<Tensor> outputs = new ArrayList<>(answer.outputs().size());
    for (Tensor t : answer.outputs()) {
      if (!t.name().equals(spec.output())) {
        outputs.add(t);
      } else if (mode == Mode.CLASSIFIED) {
        outputs.add(topK(t));
      }
    }
    return new InferenceResponse(
        answer.model(), answer.version(), answer.id(), outputs, answer.parameters());
  }

  private List<double[]> rawRows(Tensor t) {
    return spec.rows(t);
  }

  /** Rows of {@code "score:index[:label]"} strings back to scores by class index. */
  private List<double[]> classifiedRows(Tensor t) {
    List<byte[]> all = t.bytesElements();
    int rows = rows(t);
    List<double[]> out = new ArrayList<>(rows);
    if (rows == 0 || all.isEmpty()) {
      return out;
    }
    int width = all.size() / rows;
    for (int r = 0; r < rows; r++) {
      double[] row = new double[width];
      for (int j = 0; j < width; j++) {
        String s = new String(all.get(r * width + j), StandardCharsets.UTF_8);
        String[] parts = s.split(":", 3);
        int index = parts.length > 1 ? Integer.parseInt(parts[1]) : -1;
        if (index < 0 || index >= width) {
          throw StrataException.invalid("classification '%s': index out of 0-%d", s, width - 1);
        }
        row[index] = Double.parseDouble(parts[0]);
      }
      out.add(row);
    }
    return out;
  }

  private Tensor topK(Tensor t) {
    List<byte[]> all = t.bytesElements();
    int rows = rows(t);
    int width = rows == 0 ? 0 : all.size() / rows;
    int keep = Math.min(k, width);
    List<byte[]> kept = new ArrayList<>(rows * keep);
    for (int r = 0; r < rows; r++) {
      kept.addAll(all.subList(r * width, r * width + keep));
    }
    Shape shape = t.shape().rank() >= 2 ? Shape.of(rows, keep) : Shape.of(keep);
    return Tensor.ofBytes(t.name(), shape, kept);
  }

  private int rows(Tensor t) {
    return spec.batching() && t.shape().rank() >= 2 ? (int) t.shape().dim(0) : 1;
  }
}
