package dev.strata.train.workflow;

import static java.util.Objects.requireNonNull;

import dev.strata.core.StrataException;
import dev.strata.train.engine.TrainConfig;
import dev.strata.train.spec.TrainingSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Training on a cluster ({@code strata train --cluster}): implemented by {@code strata-distributed}
 * (Apache Spark), found through {@link ServiceLoader} so that neither this module nor the command
 * line depends on Spark. The result is the run directory a single-process run writes.
 */
public interface ClusterTraining {
  /** How the workers combine their gradients. */
  enum Sync {
    /** Ring all-reduce between the workers; each applies the same summed gradient. */
    ALLREDUCE,
    /** A parameter server on the driver applies the gradients and hands back the weights. */
    PARAMETER_SERVER;

    public static Sync parse(String s) {
      return switch (s.toLowerCase(Locale.ROOT)) {
        case "allreduce", "all-reduce" -> ALLREDUCE;
        case "parameter-server", "ps" -> PARAMETER_SERVER;
        default ->
            throw StrataException.invalid("--sync %s (expected: allreduce or parameter-server)", s);
      };
    }
  }

  /**
   * One cluster run.
   *
   * @param data a local path (every executor reads it at the same path) or a Hadoop file system
   *     URI, read through Spark's Hadoop configuration on the driver and on each executor
   * @param cluster Spark's master URL: {@code spark://HOST:PORT}, {@code local-cluster[N,C,MB]} or
   *     {@code local[1]}
   * @param workers barrier tasks, one per executor
   * @param staleness with the parameter server: 0 for synchronous steps, K &gt; 0 for asynchronous
   *     updates where no worker runs more than K steps ahead of the slowest
   * @param checkpointEvery optimizer steps between rank 0's checkpoints inside an epoch (0: after
   *     each epoch only)
   * @param stepTimeoutSeconds how long a worker waits for a peer in one step before failing it
   * @param sparkConf Spark properties ({@code --conf}), over Strata's defaults
   */
  record Request(
      TrainingSpec spec,
      String data,
      Path out,
      String cluster,
      int workers,
      Sync sync,
      int staleness,
      int checkpointEvery,
      int stepTimeoutSeconds,
      Optional<Integer> epochs,
      Map<String, String> sparkConf,
      TrainConfig config) {
    public Request {
      requireNonNull(spec, "spec");
      requireNonNull(data, "data");
      requireNonNull(out, "out");
      requireNonNull(cluster, "cluster");
      requireNonNull(sync, "sync");
      requireNonNull(epochs, "epochs");
      requireNonNull(config, "config");
      sparkConf = Map.copyOf(sparkConf);
      for (String k : sparkConf.keySet()) {
        if (!k.startsWith("spark.")) {
          throw StrataException.invalid("--conf %s: not a Spark property (expected: spark.*)", k);
        }
      }
      if (workers < 1) {
        throw StrataException.invalid("--workers %d (expected: >= 1)", workers);
      }
      if (staleness < 0) {
        throw StrataException.invalid("--staleness %d (expected: >= 0)", staleness);
      }
      if (staleness > 0 && sync != Sync.PARAMETER_SERVER) {
        throw StrataException.invalid(
            "--staleness %d: only the parameter server runs asynchronously (add --sync"
                + " parameter-server)",
            staleness);
      }
      if (checkpointEvery < 0) {
        throw StrataException.invalid("--checkpoint-every %d (expected: >= 0)", checkpointEvery);
      }
      if (stepTimeoutSeconds < 1) {
        throw StrataException.invalid("--step-timeout %d (expected: >= 1)", stepTimeoutSeconds);
      }
    }
  }

  TrainingWorkflow.Result train(Request request) throws IOException;

  /** The implementation on the class path, if any. */
  static Optional<ClusterTraining> find() {
    return ServiceLoader.load(ClusterTraining.class).findFirst();
  }
}
