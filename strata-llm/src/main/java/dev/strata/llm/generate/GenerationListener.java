package dev.strata.llm.generate;

/**
 * Hears one generation as it runs, on the engine's thread: every piece of text as it is decoded,
 * then exactly one of {@link #completed} or {@link #failed}.
 */
public interface GenerationListener {
  /** Why a generation ended. */
  enum FinishReason {
    /** The model ended its answer, or a stop string was met. */
    STOP,
    /** {@code maxTokens} were generated, or the context is full. */
    LENGTH,
    /** The caller cancelled it (the client went away). */
    CANCELLED
  }

  /**
   * The text of the next token. The first call marks the time to first token.
   *
   * @return false to stop the generation here (as {@link Generation#cancel()})
   */
  boolean token(String text);

  /** The generation ended. */
  void completed(FinishReason reason, int promptTokens, int completionTokens);

  /** The generation could not run. */
  void failed(Throwable cause);
}
