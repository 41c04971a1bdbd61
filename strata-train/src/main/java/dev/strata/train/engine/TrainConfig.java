package dev.strata.train.engine;

import static java.util.Objects.requireNonNull;

import dev.strata.core.StrataException;
import java.nio.file.Path;

/**
 * The training module's configuration: where Strata keeps its data (DJL's native-library cache
 * lives in {@code dataDir/cache/djl}) and the PyTorch thread counts.
 *
 * @param dataDir Strata's data directory (default {@code ~/.strata}, or {@code $STRATA_HOME})
 * @param intraOpThreads threads inside one operator (default: all cores)
 * @param interOpThreads threads running independent operators (default 1)
 */
public record TrainConfig(Path dataDir, int intraOpThreads, int interOpThreads) {
  public TrainConfig {
    requireNonNull(dataDir, "dataDir");
    if (intraOpThreads <= 0) {
      throw StrataException.invalid("intraOpThreads: %d (expected: > 0)", intraOpThreads);
    }
    if (interOpThreads <= 0) {
      throw StrataException.invalid("interOpThreads: %d (expected: > 0)", interOpThreads);
    }
  }

  /** The defaults: {@code $STRATA_HOME} or {@code ~/.strata}, all cores intra-op, 1 inter-op. */
  public static TrainConfig defaults() {
    String home = System.getenv("STRATA_HOME");
    Path dir =
        home != null && !home.isBlank()
            ? Path.of(home)
            : Path.of(System.getProperty("user.home"), ".strata");
    return new TrainConfig(dir, Runtime.getRuntime().availableProcessors(), 1);
  }

  public TrainConfig withThreads(int intraOp, int interOp) {
    return new TrainConfig(dataDir, intraOp, interOp);
  }

  public TrainConfig withDataDir(Path dir) {
    return new TrainConfig(dir, intraOpThreads, interOpThreads);
  }

  /** DJL's cache directory (extracted native libraries). */
  public Path djlCacheDir() {
    return dataDir.resolve("cache").resolve("djl");
  }
}
