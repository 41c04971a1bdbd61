package dev.strata.runtime;

import dev.strata.core.DataType;
import dev.strata.core.InferenceRequest;
import dev.strata.core.Shape;
import dev.strata.core.Tensor;
import dev.strata.onnx.ExampleModels;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Requests for the identity-all-types model. */
final class DatatypesTestData {
  private DatatypesTestData() {}

  /** Zero-filled inputs; the first has {@code firstRows} rows, the others {@code otherRows}. */
  static InferenceRequest identity(int firstRows, int otherRows) {
    List<Tensor> inputs = new ArrayList<>();
    boolean first = true;
    for (DataType type : ExampleModels.ortTypes()) {
      int rows = first ? firstRows : otherRows;
      first = false;
      Shape shape = Shape.of(rows, 3);
      inputs.add(
          type == DataType.BYTES
              ? Tensor.ofStrings("in_BYTES", shape, Collections.nCopies(rows * 3, ""))
              : new Tensor(
                  "in_" + type.name(),
                  type,
                  shape,
                  ByteBuffer.allocate(rows * 3 * type.byteSize())));
    }
    return InferenceRequest.of("identity", inputs);
  }
}
