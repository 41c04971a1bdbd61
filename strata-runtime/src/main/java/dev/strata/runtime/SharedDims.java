package dev.strata.runtime;

import dev.strata.core.StrataException;
import dev.strata.core.Tensor;
import dev.strata.core.TensorSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The axes of a model's inputs that share a symbolic dimension ({@code dim_param}, such as {@code
 * sequence_length} of {@code input_ids} and {@code attention_mask}), checked on every request
 * before it is queued: ONNX Runtime would fail such a request deep in the graph, or worse, compute
 * on mismatched data.
 */
final class SharedDims {
  /** One axis of one input, by its index in the signature's inputs. */
  private record Axis(int input, int axis) {}

  private record Group(String name, List<Axis> axes) {}

  private static final SharedDims NONE = new SharedDims(List.of());

  private final List<Group> groups;

  private SharedDims(List<Group> groups) {
    this.groups = groups;
  }

  static SharedDims none() {
    return NONE;
  }

  /**
   * The shared dimensions of these inputs.
   *
   * @param inputs the served inputs, in the order requests are checked in
   * @param dimNames the ONNX file's {@code dim_param} of every axis by input name ("" for none);
   *     axes are those of the ONNX shape, batch dimension included
   */
  static SharedDims of(List<TensorSpec> inputs, Map<String, List<String>> dimNames) {
    Map<String, List<Axis>> byName = new LinkedHashMap<>();
    for (int i = 0; i < inputs.size(); i++) {
      List<String> names = dimNames.getOrDefault(inputs.get(i).name(), List.of());
      for (int a = 0; a < names.size(); a++) {
        if (!names.get(a).isEmpty()) {
          byName.computeIfAbsent(names.get(a), n -> new ArrayList<>()).add(new Axis(i, a));
        }
      }
    }
    List<Group> groups = new ArrayList<>();
    byName.forEach(
        (name, axes) -> {
          if (axes.size() > 1) {
            groups.add(new Group(name, List.copyOf(axes)));
          }
        });
    return groups.isEmpty() ? NONE : new SharedDims(List.copyOf(groups));
  }

  /**
   * Checks that every shared dimension has one size across the request's inputs.
   *
   * @param ordered the request's inputs in signature order, with their full shapes (batch dimension
   *     included), each already of the expected rank
   * @throws StrataException INVALID_ARGUMENT naming both inputs and the dimension
   */
  void check(Tensor[] ordered) {
    for (Group g : groups) {
      Axis first = g.axes().getFirst();
      long size = ordered[first.input()].shape().dim(first.axis());
      for (int k = 1; k < g.axes().size(); k++) {
        Axis other = g.axes().get(k);
        long s = ordered[other.input()].shape().dim(other.axis());
        if (s != size) {
          throw StrataException.invalid(
              "inputs '%s' and '%s' disagree on dimension '%s': %d (axis %d of %s) vs %d (axis %d"
                  + " of %s); the model needs them equal",
              ordered[first.input()].name(),
              ordered[other.input()].name(),
              g.name(),
              size,
              first.axis(),
              ordered[first.input()].shape(),
              s,
              other.axis(),
              ordered[other.input()].shape());
        }
      }
    }
  }
}
