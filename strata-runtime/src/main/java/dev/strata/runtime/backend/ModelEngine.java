package dev.strata.runtime.backend;

import dev.strata.core.ModelMetadata;
import dev.strata.core.RepositoryEntry;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * An engine that serves the models of one {@link Backend} other than ONNX Runtime out of the
 * runtime's repository: the runtime ({@code ModelManager}) hands it every model whose version
 * directories hold the backend's file ({@link Backend#modelFile()}), so that loading, unloading,
 * readiness, metadata and the repository index work the same for every model, whoever installed it.
 * Engines are found on the class path: a module that brings one (strata-llm: llama.cpp for GGUF)
 * registers a {@link Provider} in {@code META-INF/services}.
 *
 * <p>How clients reach an engine's models is the engine's module's (the OpenAI API for language
 * models); the Open Inference Protocol's {@code infer} answers that they are served elsewhere.
 */
public interface ModelEngine extends AutoCloseable {
  /** Opens an engine over a repository; found by {@link java.util.ServiceLoader}. */
  interface Provider {
    /** The backend the engine serves. */
    Backend backend();

    /** An engine over the repository at {@code root}, holding no model yet. */
    ModelEngine open(Path root);
  }

  /** The backend this engine serves. */
  Backend backend();

  /** Loads a model's newest version (or reloads it, swapping without failing a request). */
  void load(String model);

  /** Stops serving a model. */
  void unload(String model);

  /** The models loaded now. */
  Set<String> models();

  /** Whether the model (that version, or any) serves. */
  boolean ready(String model, Optional<String> version);

  /** The model's metadata, as the Open Inference Protocol gives it. */
  ModelMetadata metadata(String model, Optional<String> version);

  /** The engine's models in the repository index. */
  List<RepositoryEntry> index(boolean readyOnly);

  /** Unloads everything. */
  @Override
  void close();
}
