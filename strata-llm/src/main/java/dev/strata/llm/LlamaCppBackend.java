package dev.strata.llm;

import dev.strata.runtime.backend.Backend;
import java.util.Set;

/** llama.cpp: GGUF models ({@code model.gguf}), served on the OpenAI-compatible API. */
public final class LlamaCppBackend implements Backend {
  public static final LlamaCppBackend INSTANCE = new LlamaCppBackend();

  private LlamaCppBackend() {}

  @Override
  public String name() {
    return "llamacpp";
  }

  @Override
  public String platform() {
    return "llamacpp_gguf";
  }

  @Override
  public Set<String> formats() {
    return Set.of("gguf");
  }

  @Override
  public String modelFile() {
    return "model.gguf";
  }
}
