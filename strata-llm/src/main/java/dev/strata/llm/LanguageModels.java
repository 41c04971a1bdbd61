package dev.strata.llm;

import static java.util.Objects.requireNonNull;

import dev.strata.core.ErrorCode;
import dev.strata.core.ModelMetadata;
import dev.strata.core.RepositoryEntry;
import dev.strata.core.StrataException;
import dev.strata.core.TensorSpec;
import dev.strata.llm.generate.LlamaEngine;
import dev.strata.llm.gguf.GgufMetadata;
import dev.strata.runtime.ModelConfig;
import dev.strata.runtime.backend.Backend;
import dev.strata.runtime.backend.ModelEngine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The GGUF models of a repository in llama.cpp ({@code <repo>/<model>/<version>/model.gguf}): the
 * runtime's {@link ModelEngine} for them. A load opens the newest version its configuration's
 * version policy allows ({@code config.json}, as for every model) and swaps it in; the version it
 * replaces finishes its running generations (up to a minute) before it closes.
 *
 * <p>Each model runs {@link #PARALLEL} sequences of up to {@link #CONTEXT} tokens (no more than the
 * context it was trained for), overridable per process with the system properties {@code
 * strata.llm.parallel} and {@code strata.llm.context}.
 */
public final class LanguageModels implements ModelEngine {
  private static final Logger LOG = LoggerFactory.getLogger(LanguageModels.class);

  /** Default sequences decoded together per model. */
  public static final int PARALLEL = 4;

  /** Default context per sequence, in tokens. */
  public static final int CONTEXT = 2048;

  /** A loaded model: its version and engine. */
  public record Loaded(String model, long version, LlamaEngine engine, GgufMetadata metadata) {}

  /** Finds the engine on the class path (see {@code META-INF/services}). */
  public static final class Provider implements ModelEngine.Provider {
    @Override
    public Backend backend() {
      return LlamaCppBackend.INSTANCE;
    }

    @Override
    public ModelEngine open(Path root) {
      return new LanguageModels(root);
    }
  }

  private final Path root;
  private final Map<String, Loaded> loaded = new ConcurrentHashMap<>();

  public LanguageModels(Path root) {
    this.root = requireNonNull(root, "root");
  }

  @Override
  public Backend backend() {
    return LlamaCppBackend.INSTANCE;
  }

  @Override
  public synchronized void load(String model) {
    Path dir = root.resolve(model);
    TreeSet<Long> onDisk = new TreeSet<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.toList()) {
        String n = p.getFileName().toString();
        if (n.matches("[1-9][0-9]{0,17}") && Files.isRegularFile(p.resolve("model.gguf"))) {
          onDisk.add(Long.parseLong(n));
        }
      }
    } catch (IOException e) {
      throw new StrataException(ErrorCode.NOT_FOUND, "model '" + model + "': " + e.getMessage());
    }
    ModelConfig config =
        Files.isRegularFile(dir.resolve("config.json"))
            ? ModelConfig.read(dir.resolve("config.json"))
            : ModelConfig.DEFAULT;
    List<Long> chosen = new ArrayList<>(config.versionPolicy().select(onDisk));
    if (chosen.isEmpty()) {
      throw new StrataException(
          ErrorCode.UNAVAILABLE,
          "model '" + model + "' has no version with a model.gguf its version policy allows");
    }
    long version = chosen.stream().mapToLong(Long::longValue).max().orElseThrow();
    Loaded current = loaded.get(model);
    Path file = dir.resolve(Long.toString(version)).resolve("model.gguf");
    GgufMetadata meta = GgufMetadata.read(file);
    int trained = meta.contextLength().map(Long::intValue).orElse(CONTEXT);
    int context = Math.min(Integer.getInteger("strata.llm.context", CONTEXT), trained);
    int parallel = Integer.getInteger("strata.llm.parallel", PARALLEL);
    int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
    LlamaEngine engine =
        LlamaEngine.open(file, new LlamaEngine.Options(parallel, context, threads, 64));
    loaded.put(model, new Loaded(model, version, engine, meta));
    LOG.info(
        "language model '{}' version {} serving ({} sequences of {} tokens)",
        model,
        version,
        parallel,
        context);
    if (current != null) {
      retire(current);
    }
  }

  /** Closes a replaced engine once its running generations are done (at most a minute). */
  private static void retire(Loaded old) {
    Thread.ofPlatform()
        .daemon(true)
        .name("strata-llm-retire")
        .start(
            () -> {
              long deadline = System.nanoTime() + 60_000_000_000L;
              while (old.engine().load() > 0 && System.nanoTime() < deadline) {
                try {
                  Thread.sleep(50);
                } catch (InterruptedException e) {
                  break;
                }
              }
              old.engine().close();
            });
  }

  @Override
  public synchronized void unload(String model) {
    Loaded l = loaded.remove(model);
    if (l == null) {
      throw new StrataException(ErrorCode.NOT_FOUND, "model '" + model + "' is not loaded");
    }
    l.engine().close();
    LOG.info("language model '{}' unloaded", model);
  }

  @Override
  public Set<String> models() {
    return Set.copyOf(loaded.keySet());
  }

  /** The loaded model, or NOT_FOUND naming the language models there are. */
  public Loaded get(String model) {
    Loaded l = loaded.get(model);
    if (l == null) {
      throw new StrataException(
          ErrorCode.NOT_FOUND,
          "language model '"
              + model
              + "' is not served here (models: "
              + new TreeSet<>(loaded.keySet())
              + ")");
    }
    return l;
  }

  /** The loaded models by name. */
  public Map<String, Loaded> all() {
    return new TreeMap<>(loaded);
  }

  @Override
  public boolean ready(String model, Optional<String> version) {
    Loaded l = loaded.get(model);
    return l != null && (version.isEmpty() || version.get().equals(Long.toString(l.version())));
  }

  @Override
  public ModelMetadata metadata(String model, Optional<String> version) {
    Loaded l = get(model);
    if (version.isPresent() && !version.get().equals(Long.toString(l.version()))) {
      throw new StrataException(
          ErrorCode.NOT_FOUND,
          "model '"
              + model
              + "' has no version "
              + version.get()
              + " (serving: "
              + l.version()
              + ")");
    }
    return new ModelMetadata(
        model,
        List.of(Long.toString(l.version())),
        LlamaCppBackend.INSTANCE.platform(),
        List.of(
            new TensorSpec(
                "text_input", dev.strata.core.DataType.BYTES, dev.strata.core.Shape.of(1))),
        List.of(
            new TensorSpec(
                "text_output", dev.strata.core.DataType.BYTES, dev.strata.core.Shape.of(1))),
        Map.of(
            "context_length", l.engine().contextLength(),
            "parallel", l.engine().options().parallel(),
            "architecture", l.metadata().architecture().orElse("")));
  }

  @Override
  public List<RepositoryEntry> index(boolean readyOnly) {
    List<RepositoryEntry> out = new ArrayList<>();
    for (Loaded l : all().values()) {
      out.add(new RepositoryEntry(l.model(), Long.toString(l.version()), "READY", ""));
    }
    return out;
  }

  @Override
  public synchronized void close() {
    for (Loaded l : loaded.values()) {
      l.engine().close();
    }
    loaded.clear();
  }
}
