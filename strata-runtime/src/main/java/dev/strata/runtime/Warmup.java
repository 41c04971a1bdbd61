package dev.strata.runtime;

import dev.strata.core.DataType;
import dev.strata.core.InferenceRequest;
import dev.strata.core.Shape;
import dev.strata.core.StrataException;
import dev.strata.core.Tensor;
import dev.strata.core.TensorSpec;
import dev.strata.runtime.ModelConfig.WarmupInput;
import dev.strata.runtime.ModelConfig.WarmupSample;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/** Makes the requests of a warm-up sample: zeros or seeded random data for every input. */
final class Warmup {
  private Warmup() {}

  /**
   * The request of one sample.
   *
   * @throws StrataException INVALID_ARGUMENT when the sample does not fit the model
   */
  static InferenceRequest request(String model, ModelSignature signature, WarmupSample sample) {
    return request(model, signature, sample, false);
  }

  /**
   * The request of one sample.
   *
   * @param batchingOff whether the batching probe turned the derived batching off: the sample's
   *     {@code dims} were written without the batch dimension, which then leads them ({@code
   *     batch_size} of it)
   * @throws StrataException INVALID_ARGUMENT when the sample does not fit the model
   */
  static InferenceRequest request(
      String model, ModelSignature signature, WarmupSample sample, boolean batchingOff) {
    for (String name : sample.inputs().keySet()) {
      if (signature.inputs().stream().noneMatch(s -> s.name().equals(name))) {
        throw StrataException.invalid(
            "warmup '%s': '%s' is not an input of the model", sample.name(), name);
      }
    }
    if (signature.batching() && sample.batchSize() > signature.maxBatchSize()) {
      throw StrataException.invalid(
          "warmup '%s': batch_size %d is over max_batch_size %d",
          sample.name(), sample.batchSize(), signature.maxBatchSize());
    }
    Random random = new Random(sample.name().hashCode());
    List<Tensor> tensors = new ArrayList<>();
    for (TensorSpec spec : signature.inputs()) {
      WarmupInput how = sample.inputs().getOrDefault(spec.name(), WarmupInput.ZERO);
      if (how.dataType().isPresent() && how.dataType().get() != spec.datatype()) {
        throw StrataException.invalid(
            "warmup '%s' input '%s': data_type %s (expected: %s)",
            sample.name(), spec.name(), how.dataType().get(), spec.datatype());
      }
      Shape dims =
          how.dims()
              .map(d -> batchingOff ? d.prepend(sample.batchSize()) : d)
              .orElseGet(() -> concrete(spec.shape()));
      if (!spec.shape().accepts(dims)) {
        throw StrataException.invalid(
            "warmup '%s' input '%s': dims %s (expected: %s)",
            sample.name(), spec.name(), dims, spec.shape());
      }
      Shape shape = signature.batching() ? dims.prepend(sample.batchSize()) : dims;
      tensors.add(tensor(spec.name(), spec.datatype(), shape, how.random() ? random : null));
    }
    return new InferenceRequest(
        model, Optional.empty(), "warmup", tensors, List.of(), Map.of(), Optional.empty());
  }

  static Shape concrete(Shape shape) {
    long[] dims = shape.toArray();
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] < 0) {
        dims[i] = 1;
      }
    }
    return Shape.of(dims);
  }

  private static Tensor tensor(String name, DataType type, Shape shape, Random random) {
    int n = Math.toIntExact(shape.numElements());
    if (type == DataType.BYTES) {
      List<String> values = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        values.add(random == null ? "" : Integer.toString(random.nextInt(1_000_000)));
      }
      return Tensor.ofStrings(name, shape, values);
    }
    ByteBuffer b =
        ByteBuffer.allocate(Math.multiplyExact(n, type.byteSize())).order(ByteOrder.LITTLE_ENDIAN);
    if (random != null) {
      for (int i = 0; i < n; i++) {
        switch (type) {
          case BOOL -> b.put((byte) (random.nextBoolean() ? 1 : 0));
          case FP16 -> b.putShort(Float.floatToFloat16(random.nextFloat()));
          case BF16 -> b.putShort((short) (Float.floatToIntBits(random.nextFloat()) >>> 16));
          case FP32 -> b.putFloat(random.nextFloat());
          case FP64 -> b.putDouble(random.nextDouble());
          default -> {
            byte[] bytes = new byte[type.byteSize()];
            random.nextBytes(bytes);
            b.put(bytes);
          }
        }
      }
      b.flip();
    }
    return new Tensor(name, type, shape, b);
  }
}
