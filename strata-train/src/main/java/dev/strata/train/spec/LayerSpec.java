package dev.strata.train.spec;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.strata.core.StrataException;

/**
 * One layer of a declared network. Every layer maps to a DJL block for training and to standard
 * ONNX operators for export. Images flow as {@code [N, C, H, W]}; {@link Linear} needs {@code [N,
 * F]} (use {@link Flatten} or {@link GlobalAvgPool} first).
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
  @JsonSubTypes.Type(LayerSpec.Linear.class),
  @JsonSubTypes.Type(LayerSpec.Conv2d.class),
  @JsonSubTypes.Type(LayerSpec.BatchNorm.class),
  @JsonSubTypes.Type(LayerSpec.Residual.class),
  @JsonSubTypes.Type(LayerSpec.Relu.class),
  @JsonSubTypes.Type(LayerSpec.Gelu.class),
  @JsonSubTypes.Type(LayerSpec.Sigmoid.class),
  @JsonSubTypes.Type(LayerSpec.Tanh.class),
  @JsonSubTypes.Type(LayerSpec.MaxPool.class),
  @JsonSubTypes.Type(LayerSpec.AvgPool.class),
  @JsonSubTypes.Type(LayerSpec.GlobalAvgPool.class),
  @JsonSubTypes.Type(LayerSpec.Dropout.class),
  @JsonSubTypes.Type(LayerSpec.Flatten.class),
  @JsonSubTypes.Type(LayerSpec.Softmax.class)
})
public sealed interface LayerSpec {

  /** A fully connected layer to {@code units} outputs. */
  @JsonTypeName("linear")
  record Linear(int units, Boolean bias) implements LayerSpec {
    public Linear {
      positive("linear.units", units);
      bias = bias == null || bias;
    }
  }

  /** A 2-D convolution; {@code stride} defaults to 1, {@code padding} to 0 (both symmetric). */
  @JsonTypeName("conv2d")
  record Conv2d(int filters, int kernel, int stride, int padding, Boolean bias)
      implements LayerSpec {
    public Conv2d {
      positive("conv2d.filters", filters);
      positive("conv2d.kernel", kernel);
      stride = stride == 0 ? 1 : stride;
      positive("conv2d.stride", stride);
      nonNegative("conv2d.padding", padding);
      bias = bias == null || bias;
    }
  }

  /**
   * Batch normalisation over the channel axis (axis 1); {@code momentum} is the weight of the old
   * running statistics (default 0.9, i.e. PyTorch's 0.1), {@code epsilon} defaults to 1e-5.
   */
  @JsonTypeName("batch_norm")
  record BatchNorm(double epsilon, double momentum) implements LayerSpec {
    public BatchNorm {
      epsilon = epsilon == 0 ? 1e-5 : epsilon;
      momentum = momentum == 0 ? 0.9 : momentum;
      if (!(epsilon > 0) || !(momentum > 0 && momentum < 1)) {
        throw StrataException.invalid(
            "batch_norm: epsilon %s, momentum %s (expected: epsilon > 0, 0 < momentum < 1)",
            epsilon, momentum);
      }
    }
  }

  /**
   * A ResNet basic block (He et al., 2016): {@code conv3x3(stride) - batch_norm - relu - conv3x3 -
   * batch_norm}, plus the block's input (through a 1x1 convolution of that stride and a batch norm
   * when the stride or the channel count changes), then a ReLU. Convolutions have no bias (the
   * batch norms have one); batch norms use the defaults.
   */
  @JsonTypeName("residual")
  record Residual(int filters, int stride) implements LayerSpec {
    public Residual {
      positive("residual.filters", filters);
      stride = stride == 0 ? 1 : stride;
      positive("residual.stride", stride);
    }
  }

  @JsonTypeName("relu")
  record Relu() implements LayerSpec {}

  /** GELU, the exact (erf) form. */
  @JsonTypeName("gelu")
  record Gelu() implements LayerSpec {}

  @JsonTypeName("sigmoid")
  record Sigmoid() implements LayerSpec {}

  @JsonTypeName("tanh")
  record Tanh() implements LayerSpec {}

  /** Max pooling; {@code stride} defaults to {@code kernel}. */
  @JsonTypeName("max_pool")
  record MaxPool(int kernel, int stride, int padding) implements LayerSpec {
    public MaxPool {
      positive("max_pool.kernel", kernel);
      stride = stride == 0 ? kernel : stride;
      nonNegative("max_pool.padding", padding);
    }
  }

  /** Average pooling (padding counts as zeros); {@code stride} defaults to {@code kernel}. */
  @JsonTypeName("avg_pool")
  record AvgPool(int kernel, int stride, int padding) implements LayerSpec {
    public AvgPool {
      positive("avg_pool.kernel", kernel);
      stride = stride == 0 ? kernel : stride;
      nonNegative("avg_pool.padding", padding);
    }
  }

  /** Averages each channel over H and W: {@code [N, C, H, W] -> [N, C]}. */
  @JsonTypeName("global_avg_pool")
  record GlobalAvgPool() implements LayerSpec {}

  /** Drops activations with probability {@code rate} while training; identity at inference. */
  @JsonTypeName("dropout")
  record Dropout(double rate) implements LayerSpec {
    public Dropout {
      if (!(rate >= 0 && rate < 1)) {
        throw StrataException.invalid("dropout.rate: %s (expected: 0 <= rate < 1)", rate);
      }
    }
  }

  /** {@code [N, ...] -> [N, F]}. */
  @JsonTypeName("flatten")
  record Flatten() implements LayerSpec {}

  /**
   * Softmax over the last axis. As the last layer of a classifier it is applied at inference and
   * export only: training computes the cross-entropy from the logits before it.
   */
  @JsonTypeName("softmax")
  record Softmax() implements LayerSpec {}

  private static void positive(String what, int v) {
    if (v <= 0) {
      throw StrataException.invalid("%s: %d (expected: > 0)", what, v);
    }
  }

  private static void nonNegative(String what, int v) {
    if (v < 0) {
      throw StrataException.invalid("%s: %d (expected: >= 0)", what, v);
    }
  }
}
