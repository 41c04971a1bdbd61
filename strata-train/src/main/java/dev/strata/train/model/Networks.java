package dev.strata.train.model;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.pooling.Pool;
import dev.strata.core.StrataException;
import dev.strata.train.spec.LayerSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns a declared layer list into a DJL block, after checking that every layer fits the shape that
 * reaches it. Block {@code i} of the result is layer {@code i} of the spec, which is what the ONNX
 * exporter relies on to find each layer's weights.
 */
public final class Networks {
  private Networks() {}

  /** The layers that run in training: all but a trailing softmax (the loss takes logits). */
  public static List<LayerSpec> trainingLayers(List<LayerSpec> layers) {
    return endsWithSoftmax(layers) ? layers.subList(0, layers.size() - 1) : layers;
  }

  public static boolean endsWithSoftmax(List<LayerSpec> layers) {
    return layers.getLast() instanceof LayerSpec.Softmax;
  }

  /**
   * Builds the DJL block for these layers (block i = layer i).
   *
   * @param input one sample's shape (a residual block's shortcut depends on its input channels)
   */
  public static SequentialBlock build(List<LayerSpec> layers, long[] input) {
    List<long[]> shapes = shapes(layers, input);
    SequentialBlock block = new SequentialBlock();
    for (int i = 0; i < layers.size(); i++) {
      block.add(toBlock(layers.get(i), i == 0 ? input : shapes.get(i - 1)));
    }
    return block;
  }

  /**
   * Whether a residual block of these filters and stride needs a projection of input {@code in}.
   */
  public static boolean projects(LayerSpec.Residual r, long[] in) {
    return r.stride() != 1 || in[0] != r.filters();
  }

  private static Block residual(LayerSpec.Residual r, long[] in) {
    SequentialBlock main =
        new SequentialBlock()
            .add(conv(r.filters(), 3, r.stride(), 1))
            .add(BatchNorm.builder().build())
            .add(Activation.reluBlock())
            .add(conv(r.filters(), 3, 1, 1))
            .add(BatchNorm.builder().build());
    Block shortcut =
        projects(r, in)
            ? new SequentialBlock()
                .add(conv(r.filters(), 1, r.stride(), 0))
                .add(BatchNorm.builder().build())
            : Blocks.identityBlock();
    ParallelBlock sum =
        new ParallelBlock(
            outs -> new NDList(outs.get(0).singletonOrThrow().add(outs.get(1).singletonOrThrow())),
            List.of(main, shortcut));
    return new SequentialBlock().add(sum).add(Activation.reluBlock());
  }

  private static Block conv(int filters, int kernel, int stride, int padding) {
    return Conv2d.builder()
        .setFilters(filters)
        .setKernelShape(new Shape(kernel, kernel))
        .optStride(new Shape(stride, stride))
        .optPadding(new Shape(padding, padding))
        .optBias(false)
        .build();
  }

  private static Block toBlock(LayerSpec layer, long[] in) {
    return switch (layer) {
      case LayerSpec.Residual r -> residual(r, in);
      case LayerSpec.Linear l -> Linear.builder().setUnits(l.units()).optBias(l.bias()).build();
      case LayerSpec.Conv2d c ->
          Conv2d.builder()
              .setFilters(c.filters())
              .setKernelShape(new Shape(c.kernel(), c.kernel()))
              .optStride(new Shape(c.stride(), c.stride()))
              .optPadding(new Shape(c.padding(), c.padding()))
              .optBias(c.bias())
              .build();
      case LayerSpec.BatchNorm b ->
          BatchNorm.builder()
              .optEpsilon((float) b.epsilon())
              .optMomentum((float) b.momentum())
              .build();
      case LayerSpec.Relu r -> Activation.reluBlock();
      case LayerSpec.Gelu g -> Activation.geluBlock();
      case LayerSpec.Sigmoid s -> Activation.sigmoidBlock();
      case LayerSpec.Tanh t -> Activation.tanhBlock();
      case LayerSpec.MaxPool p ->
          Pool.maxPool2dBlock(
              new Shape(p.kernel(), p.kernel()),
              new Shape(p.stride(), p.stride()),
              new Shape(p.padding(), p.padding()));
      case LayerSpec.AvgPool p ->
          Pool.avgPool2dBlock(
              new Shape(p.kernel(), p.kernel()),
              new Shape(p.stride(), p.stride()),
              new Shape(p.padding(), p.padding()),
              false,
              true);
      case LayerSpec.GlobalAvgPool g -> Pool.globalAvgPool2dBlock();
      case LayerSpec.Dropout d -> Dropout.builder().optRate((float) d.rate()).build();
      case LayerSpec.Flatten f -> Blocks.batchFlattenBlock();
      case LayerSpec.Softmax s ->
          new LambdaBlock(x -> new NDList(x.singletonOrThrow().softmax(-1)), "softmax");
    };
  }

  /**
   * The per-sample shape after each layer ({@code shapes.get(i)} is layer i's output), checking
   * that each layer accepts what reaches it.
   *
   * @param input one sample's shape: {@code [C, H, W]} or {@code [F]}
   */
  public static List<long[]> shapes(List<LayerSpec> layers, long[] input) {
    List<long[]> out = new ArrayList<>();
    long[] s = input.clone();
    for (int i = 0; i < layers.size(); i++) {
      LayerSpec l = layers.get(i);
      String where = "model.layers[" + i + "] (" + name(l) + ")";
      s =
          switch (l) {
            case LayerSpec.Linear lin -> {
              rank(where, s, 1, "add a flatten or global_avg_pool before it");
              yield new long[] {lin.units()};
            }
            case LayerSpec.Residual r -> {
              rank(where, s, 3, "residual blocks take [C, H, W] images");
              yield new long[] {
                r.filters(),
                window(where, s[1], 3, r.stride(), 1),
                window(where, s[2], 3, r.stride(), 1)
              };
            }
            case LayerSpec.Conv2d c -> {
              rank(where, s, 3, "convolutions take [C, H, W] images");
              yield new long[] {
                c.filters(),
                window(where, s[1], c.kernel(), c.stride(), c.padding()),
                window(where, s[2], c.kernel(), c.stride(), c.padding())
              };
            }
            case LayerSpec.MaxPool p -> {
              rank(where, s, 3, "pooling takes [C, H, W]");
              yield new long[] {
                s[0],
                window(where, s[1], p.kernel(), p.stride(), p.padding()),
                window(where, s[2], p.kernel(), p.stride(), p.padding())
              };
            }
            case LayerSpec.AvgPool p -> {
              rank(where, s, 3, "pooling takes [C, H, W]");
              yield new long[] {
                s[0],
                window(where, s[1], p.kernel(), p.stride(), p.padding()),
                window(where, s[2], p.kernel(), p.stride(), p.padding())
              };
            }
            case LayerSpec.GlobalAvgPool g -> {
              rank(where, s, 3, "global pooling takes [C, H, W]");
              yield new long[] {s[0]};
            }
            case LayerSpec.BatchNorm b -> {
              if (s.length != 1 && s.length != 3) {
                throw StrataException.invalid(
                    "%s: input %s (expected: [C, H, W] or [F])", where, Arrays.toString(s));
              }
              yield s;
            }
            case LayerSpec.Flatten f -> new long[] {Arrays.stream(s).reduce(1, (a, b) -> a * b)};
            case LayerSpec.Softmax sm -> {
              if (i != layers.size() - 1) {
                throw StrataException.invalid("%s: softmax must be the last layer", where);
              }
              yield s;
            }
            default -> s;
          };
      out.add(s);
    }
    return out;
  }

  /** Trainable parameters of the layers for this input (what PyTorch's numel() sum counts). */
  public static long parameterCount(List<LayerSpec> layers, long[] input) {
    List<long[]> shapes = shapes(layers, input);
    long n = 0;
    for (int i = 0; i < layers.size(); i++) {
      long[] in = i == 0 ? input : shapes.get(i - 1);
      n +=
          switch (layers.get(i)) {
            case LayerSpec.Linear l -> in[0] * l.units() + (l.bias() ? l.units() : 0);
            case LayerSpec.Conv2d c ->
                in[0] * c.filters() * c.kernel() * c.kernel() + (c.bias() ? c.filters() : 0);
            case LayerSpec.BatchNorm b -> 2 * in[0];
            case LayerSpec.Residual r ->
                in[0] * r.filters() * 9L
                    + (long) r.filters() * r.filters() * 9
                    + 4L * r.filters()
                    + (projects(r, in) ? in[0] * r.filters() + 2L * r.filters() : 0);
            default -> 0;
          };
    }
    return n;
  }

  /** The type name of a layer as written in specs. */
  public static String name(LayerSpec l) {
    return l.getClass().getAnnotation(com.fasterxml.jackson.annotation.JsonTypeName.class).value();
  }

  private static void rank(String where, long[] s, int rank, String hint) {
    if (s.length != rank) {
      throw StrataException.invalid(
          "%s: input shape %s has rank %d (expected: %d; %s)",
          where, Arrays.toString(s), s.length, rank, hint);
    }
  }

  private static long window(String where, long size, int kernel, int stride, int pad) {
    long out = (size + 2L * pad - kernel) / stride + 1;
    if (size + 2L * pad < kernel || out <= 0) {
      throw StrataException.invalid(
          "%s: kernel %d does not fit an input of %d (padding %d)", where, kernel, size, pad);
    }
    return out;
  }
}
