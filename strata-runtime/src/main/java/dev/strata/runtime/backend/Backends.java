package dev.strata.runtime.backend;

import static java.util.Objects.requireNonNull;

import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The backends a runtime serves with, looked up by artifact format or by configured name. Every
 * "can this node serve that format?" question of the cloud and the edge is asked here.
 */
public final class Backends {
  private static final Backends BUILT_IN = discover();

  private final List<Backend> backends;

  private Backends(List<Backend> backends) {
    this.backends = List.copyOf(backends);
  }

  /**
   * The backends this installation of Strata has: ONNX Runtime, then those of the {@link
   * ModelEngine.Provider}s on the class path (llama.cpp for GGUF where strata-llm is present).
   */
  public static Backends builtIn() {
    return BUILT_IN;
  }

  /** The engine providers on the class path. */
  public static List<ModelEngine.Provider> engineProviders() {
    List<ModelEngine.Provider> out = new java.util.ArrayList<>();
    java.util.ServiceLoader.load(ModelEngine.Provider.class).forEach(out::add);
    return out;
  }

  private static Backends discover() {
    List<Backend> all = new java.util.ArrayList<>();
    all.add(OnnxRuntimeBackend.INSTANCE);
    for (ModelEngine.Provider p : engineProviders()) {
      all.add(p.backend());
    }
    return new Backends(all);
  }

  /** Every backend, in order of preference. */
  public List<Backend> all() {
    return backends;
  }

  /** The backend serving an artifact format (case-insensitive), if any. */
  public Optional<Backend> forFormat(String format) {
    requireNonNull(format, "format");
    String f = format.toLowerCase(Locale.ROOT);
    return backends.stream().filter(b -> b.formats().contains(f)).findFirst();
  }

  /**
   * The backend serving an artifact format.
   *
   * @throws StrataException UNIMPLEMENTED naming the format and the formats there are
   */
  public Backend requireFormat(String format) {
    return forFormat(format)
        .orElseThrow(
            () ->
                new StrataException(
                    ErrorCode.UNIMPLEMENTED,
                    String.format(
                        "format %s cannot be served here (expected one of: %s)",
                        format, String.join(", ", formats()))));
  }

  /** The backend a configuration names by Triton's {@code backend} or {@code platform}, if any. */
  public Optional<Backend> forName(String nameOrPlatform) {
    requireNonNull(nameOrPlatform, "nameOrPlatform");
    return backends.stream().filter(b -> b.isNamed(nameOrPlatform)).findFirst();
  }

  /** The formats served, sorted. */
  public List<String> formats() {
    TreeSet<String> out = new TreeSet<>();
    backends.forEach(b -> out.addAll(b.formats()));
    return List.copyOf(out);
  }

  /** The names and platforms a configuration may give, sorted. */
  public List<String> names() {
    TreeSet<String> out = new TreeSet<>();
    backends.forEach(
        b -> {
          out.add(b.name());
          out.add(b.platform());
        });
    return List.copyOf(out);
  }
}
