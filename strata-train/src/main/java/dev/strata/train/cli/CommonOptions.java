package dev.strata.train.cli;

import dev.strata.train.engine.TrainConfig;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options shared by the training commands: data directory and PyTorch threads. */
public final class CommonOptions {
  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description =
          "Strata's data directory; DJL's native cache lives in DIR/cache/djl (default:"
              + " $STRATA_HOME or ~/.strata).")
  Path dataDir;

  @Option(
      names = "--threads",
      paramLabel = "N",
      description = "PyTorch intra-op threads (default: all cores).")
  Integer threads;

  @Option(
      names = "--interop-threads",
      paramLabel = "N",
      description = "PyTorch inter-op threads (default: 1).")
  Integer interopThreads;

  public TrainConfig config() {
    TrainConfig c = TrainConfig.defaults();
    if (dataDir != null) {
      c = c.withDataDir(dataDir);
    }
    return c.withThreads(
        threads != null ? threads : c.intraOpThreads(),
        interopThreads != null ? interopThreads : c.interOpThreads());
  }
}
