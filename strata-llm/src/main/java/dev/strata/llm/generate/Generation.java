package dev.strata.llm.generate;

/** A generation under way; {@link #cancel()} stops it at the next token and frees its sequence. */
public interface Generation {
  void cancel();
}
