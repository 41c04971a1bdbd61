package dev.strata.runtime;

/**
 * How an ONNX Runtime session is set up. The server and any in-process baseline build their
 * sessions from the same settings through {@link OrtSessions}, so that they compare like with like.
 *
 * @param intraOpThreads threads one operator may use (1: the calling thread only)
 * @param interOpThreads threads for running operators in parallel (unused with the sequential
 *     execution Strata chooses, so 1)
 * @param cpuArena whether the session uses ONNX Runtime's CPU arena allocator
 */
public record SessionSettings(int intraOpThreads, int interOpThreads, boolean cpuArena) {
  public SessionSettings {
    if (intraOpThreads < 1) {
      throw new IllegalArgumentException("intraOpThreads: " + intraOpThreads + " (expected: > 0)");
    }
    if (interOpThreads < 1) {
      throw new IllegalArgumentException("interOpThreads: " + interOpThreads + " (expected: > 0)");
    }
  }

  /** {@code threads} intra-op threads, one inter-op thread, no arena: the server's defaults. */
  public static SessionSettings of(int threads) {
    return new SessionSettings(threads, 1, false);
  }
}
