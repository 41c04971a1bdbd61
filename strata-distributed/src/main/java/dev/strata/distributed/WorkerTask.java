package dev.strata.distributed;

import dev.strata.core.StrataException;
import dev.strata.distributed.comm.Mesh;
import dev.strata.distributed.comm.RingAllReduce;
import dev.strata.distributed.ps.ServerParallel;
import dev.strata.train.data.PreparedData;
import dev.strata.train.engine.TrainConfig;
import dev.strata.train.spec.TrainingSpec;
import dev.strata.train.training.DataParallel;
import dev.strata.train.training.JsonLinesLog;
import dev.strata.train.training.ModelTrainer;
import dev.strata.train.training.TrainedModel;
import dev.strata.train.training.TrainingListener;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkEnv;
import org.apache.spark.SparkFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.Iterator;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.AbstractFunction1;

/**
 * One barrier task of a cluster run: loads and prepares the data as the driver did, meets its peers
 * through {@link BarrierTaskContext#allGather} once, connects to them (ring) or to the driver's
 * parameter server, and trains as worker {@code partitionId} of N. Rank 0 writes the checkpoint
 * into the shared output directory; a re-run attempt resumes from it.
 */
final class WorkerTask extends AbstractFunction1<Iterator<Integer>, Iterator<WorkerReport>>
    implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final Logger log = LoggerFactory.getLogger(WorkerTask.class);

  /** DJL's PyTorch engine records one gradient collector per JVM: one worker per executor. */
  private static final AtomicBoolean ACTIVE = new AtomicBoolean();

  private final String run;
  private final String specJson;
  private final String data;
  private final String out;
  private final String strataHome;
  private final int workers;
  private final boolean parameterServer;
  private final String serverHost;
  private final int serverPort;
  private final int checkpointEvery;
  private final int stepTimeoutSeconds;

  WorkerTask(
      String run,
      String specJson,
      String data,
      Path out,
      Path strataHome,
      int workers,
      InetSocketAddress server,
      int checkpointEvery,
      int stepTimeoutSeconds) {
    this.run = run;
    this.specJson = specJson;
    this.data = data;
    this.out = out.toString();
    this.strataHome = strataHome.toString();
    this.workers = workers;
    this.parameterServer = server != null;
    this.serverHost = server == null ? "" : server.getHostString();
    this.serverPort = server == null ? 0 : server.getPort();
    this.checkpointEvery = checkpointEvery;
    this.stepTimeoutSeconds = stepTimeoutSeconds;
  }

  @Override
  public Iterator<WorkerReport> apply(Iterator<Integer> ignored) {
    BarrierTaskContext ctx = BarrierTaskContext.get();
    int rank = ctx.partitionId();
    int attempt = ctx.stageAttemptNumber();
    if (!ACTIVE.compareAndSet(false, true)) {
      throw StrataException.invalid(
          "worker %d: another Strata worker is training in this executor JVM; DJL allows one"
              + " gradient collector per JVM, so give each executor one task (spark.executor.cores"
              + " = spark.task.cpus)",
          rank);
    }
    try {
      return CollectionConverters.asScala(List.of(train(ctx, rank, attempt)).iterator());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      ACTIVE.set(false);
    }
  }

  private WorkerReport train(BarrierTaskContext ctx, int rank, int attempt) throws IOException {
    Duration timeout = Duration.ofSeconds(stepTimeoutSeconds);
    TrainingSpec spec = TrainingSpec.parse(specJson, false, "the run's spec");
    TrainConfig config = new TrainConfig(Path.of(strataHome), Math.max(1, ctx.cpus()), 1);
    // a remote data set: this executor's own copy, read with the job's spark.hadoop.* settings
    PreparedData prepared =
        RemoteData.prepare(
            spec, data, SparkEnv.get().conf(), Path.of(SparkFiles.getRootDirectory()));
    String host = hostOf(ctx.getTaskInfos()[rank].address());
    String session = parameterServer ? run : run + "/attempt-" + attempt;
    try (Mesh mesh = Mesh.bind(rank, session, address(host))) {
      String me = host + " " + mesh.address().getPort() + " " + prepared.digest();
      String[] all = ctx.allGather(me);
      for (int r = 0; r < workers; r++) {
        String[] p = all[r].split(" ");
        mesh.name(r, "worker " + r + " at " + p[0] + ":" + p[1]);
        if (!p[2].equals(prepared.digest())) {
          throw StrataException.invalid(
              "worker %d read data with digest %s, worker %d %s: every executor must see the same"
                  + " data at %s",
              rank, prepared.digest(), r, p[2], data);
        }
      }
      DataParallel inner;
      if (parameterServer) {
        mesh.name(workers, "the parameter server at " + serverHost + ":" + serverPort);
        mesh.connect(workers, new InetSocketAddress(serverHost, serverPort), timeout);
        inner = new ServerParallel(mesh, workers, attempt, checkpointEvery, timeout);
      } else {
        int next = (rank + 1) % workers;
        String[] p = all[next].split(" ");
        if (workers > 1) {
          mesh.connect(next, new InetSocketAddress(p[0], Integer.parseInt(p[1])), timeout);
        }
        inner = new RingParallel(new RingAllReduce(mesh, workers, timeout), rank, checkpointEvery);
      }
      Tracked tracked = new Tracked(inner, Path.of(out), attempt);
      TrainingListener listener =
          rank == 0
              ? new JsonLinesLog(Path.of(out).resolve("training-log.jsonl"))
              : new TrainingListener() {};
      log.info(
          "worker {} of {} (stage attempt {}) on {}: {} training samples, {}",
          rank,
          workers,
          attempt,
          host,
          prepared.train().count(),
          parameterServer ? "parameter server" : "ring all-reduce");
      long t = System.nanoTime();
      try (TrainedModel model =
          new ModelTrainer(config, Clock.systemUTC(), listener)
              .trainParallel(spec, prepared, Path.of(out).resolve("checkpoint"), tracked)) {
        log.info("worker {}: {} parameters trained", rank, model.parameterCount());
      }
      return new WorkerReport(
          rank,
          attempt,
          host,
          tracked.steps(),
          (System.nanoTime() - t) / 1e9,
          tracked.secondsExchange(),
          mesh.bytesSent(),
          tracked.repeatedSteps());
    }
  }

  private static String hostOf(String address) {
    int colon = address.lastIndexOf(':');
    return colon < 0 ? address : address.substring(0, colon);
  }

  private static InetAddress address(String host) {
    try {
      return InetAddress.getByName(host);
    } catch (UnknownHostException e) {
      throw StrataException.unavailable("executor host %s does not resolve", host);
    }
  }
}
