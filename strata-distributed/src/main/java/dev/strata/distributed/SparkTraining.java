package dev.strata.distributed;

import dev.strata.core.AtomicFiles;
import dev.strata.core.StrataException;
import dev.strata.distributed.ps.ParameterServer;
import dev.strata.train.data.DataSources;
import dev.strata.train.data.PreparedData;
import dev.strata.train.spec.TrainingSpec;
import dev.strata.train.training.ModelTrainer;
import dev.strata.train.training.TrainedModel;
import dev.strata.train.training.TrainingListener;
import dev.strata.train.workflow.ClusterTraining;
import dev.strata.train.workflow.TrainingWorkflow;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.reflect.ClassTag$;

/**
 * {@code strata train --cluster}: data-parallel training as one Spark barrier stage of N tasks, one
 * per executor. Spark schedules the tasks, hands each its peers' addresses for the one rendezvous,
 * and re-runs the whole stage when a task or executor fails; Strata moves the gradients itself
 * (ring all-reduce between the tasks, or the parameter server on this driver). Rank 0 writes the
 * checkpoint into {@code --out}, which every executor must see at the same path (a local path on
 * one host, a shared file system across hosts), as it must see the data; the driver then loads the
 * final checkpoint and writes the same run directory as a single-process run.
 */
public final class SparkTraining implements ClusterTraining {
  private static final Logger log = LoggerFactory.getLogger(SparkTraining.class);
  private static final Pattern LOCAL = Pattern.compile("local(?:\\[(\\d+|\\*)(?:,\\d+)?])?");

  /** The figures of the last run, for the benchmark. */
  public record Summary(
      TrainingWorkflow.Result result,
      List<WorkerReport> workers,
      long serverBytesSent,
      double seconds,
      long repeatedSteps) {}

  private volatile Summary last;

  public Summary lastSummary() {
    return last;
  }

  @Override
  public TrainingWorkflow.Result train(Request r) throws IOException {
    checkMaster(r.cluster(), r.workers());
    TrainingSpec spec = r.epochs().map(r.spec()::withEpochs).orElse(r.spec());
    Path out = r.out().toAbsolutePath().normalize();
    SparkConf conf = conf(r);
    boolean remote = DataSources.remoteScheme(r.data()).isPresent();
    // a local data set is read where it lies, by every executor; a remote one through Hadoop
    String data =
        remote
            ? r.data()
            : DataSources.resolveAlias(DataSources.localPath(r.data()))
                .toAbsolutePath()
                .normalize()
                .toString();
    // the driver reads and prepares the data first: a bad path or spec fails here, before any
    // executor starts, and the evaluation at the end needs it
    PreparedData prepared =
        RemoteData.prepare(spec, data, conf, Path.of(System.getProperty("java.io.tmpdir")));
    if (remote) {
      log.info("read {} through Hadoop's file system for its scheme", data);
    }
    Files.createDirectories(out);
    AtomicFiles.deleteTree(out.resolve("checkpoint"));
    Files.deleteIfExists(out.resolve("training-log.jsonl"));
    Tracked.clear(out);

    long t0 = System.nanoTime();
    List<WorkerReport> reports;
    long serverBytes = 0;
    try (JavaSparkContext sc = new JavaSparkContext(conf)) {
      sc.setLogLevel("WARN");
      String run = sc.sc().applicationId() + "-" + UUID.randomUUID();
      InetAddress driverHost = InetAddress.getByName(sc.getConf().get("spark.driver.host"));
      ParameterServer ps =
          r.sync() == Sync.PARAMETER_SERVER
              ? ParameterServer.start(
                  run, r.workers(), r.staleness(), spec.training().optimizer(), driverHost)
              : null;
      try {
        WorkerTask task =
            new WorkerTask(
                run,
                spec.toJson(),
                data,
                out,
                r.config().dataDir().toAbsolutePath(),
                r.workers(),
                ps == null ? null : ps.address(),
                r.checkpointEvery(),
                r.stepTimeoutSeconds());
        log.info(
            "training {} on {} with {} workers ({}{})",
            spec.name(),
            r.cluster(),
            r.workers(),
            r.sync() == Sync.ALLREDUCE ? "ring all-reduce" : "parameter server on the driver",
            r.sync() == Sync.PARAMETER_SERVER
                ? r.staleness() == 0
                    ? ", synchronous"
                    : ", asynchronous, staleness " + r.staleness()
                : "");
        RDD<Integer> ranks =
            sc.parallelize(IntStream.range(0, r.workers()).boxed().toList(), r.workers()).rdd();
        // the barrier stage feeds a shuffle, so that it is a shuffle-map stage: Spark re-runs a
        // failed barrier shuffle-map stage, but aborts the job when a barrier result stage fails
        RDD<WorkerReport> trained =
            ranks.barrier().mapPartitions(task, false, ClassTag$.MODULE$.apply(WorkerReport.class));
        reports =
            new ArrayList<>(
                JavaRDD.fromRDD(trained, ClassTag$.MODULE$.apply(WorkerReport.class))
                    .repartition(1)
                    .collect());
        reports.sort(Comparator.comparingInt(WorkerReport::rank));
      } catch (RuntimeException e) {
        throw StrataException.unavailable(
            "the training stage failed on %s after Spark's retries: %s",
            r.cluster(), rootMessage(e));
      } finally {
        if (ps != null) {
          serverBytes = ps.bytesSent();
          ps.close();
        }
      }
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    long repeated = repeatedSteps(out);
    if (repeated > 0) {
      log.warn(
          "Spark re-ran the training stage; {} steps were repeated in all (see {})",
          repeated,
          out.resolve(Tracked.EVENTS));
    }
    for (WorkerReport w : reports) {
      log.info(
          String.format(
              Locale.ROOT,
              "worker %d on %s (attempt %d): %d steps in %.1f s, %.1f s exchanging, %d bytes sent",
              w.rank(),
              w.host(),
              w.attempt(),
              w.steps(),
              w.secondsTraining(),
              w.secondsExchange(),
              w.bytesSent()));
    }
    ModelTrainer trainer =
        new ModelTrainer(r.config(), Clock.systemUTC(), new TrainingListener() {});
    TrainingWorkflow.Result result;
    try (TrainedModel model = trainer.restore(out.resolve("checkpoint"))) {
      result =
          new TrainingWorkflow(r.config(), Clock.systemUTC())
              .finish(model, prepared, data, out, Optional.empty());
    }
    writeSummary(out, r, reports, serverBytes, seconds, repeated);
    last = new Summary(result, List.copyOf(reports), serverBytes, seconds, repeated);
    return result;
  }

  static void checkMaster(String master, int workers) {
    Matcher m = LOCAL.matcher(master);
    if (m.matches()) {
      String n = m.group(1);
      if (workers > 1 || (n != null && !n.equals("1"))) {
        throw StrataException.invalid(
            "--cluster %s runs every worker in this one JVM, where DJL allows one gradient"
                + " collector at a time; use local[1] with --workers 1, local-cluster[N,1,1024]"
                + " (N executor JVMs here) or a standalone cluster (spark://HOST:PORT)",
            master);
      }
    } else if (!master.startsWith("spark://") && !master.startsWith("local-cluster[")) {
      throw StrataException.invalid(
          "--cluster %s (expected: spark://HOST:PORT, local-cluster[N,1,MB] or local[1])", master);
    }
  }

  private static SparkConf conf(Request r) {
    SparkConf conf =
        new SparkConf()
            .setMaster(r.cluster())
            .setAppName("strata train " + r.spec().name())
            .setIfMissing("spark.executor.cores", "1")
            .setIfMissing("spark.task.cpus", "1")
            .setIfMissing("spark.cores.max", Integer.toString(r.workers()))
            .setIfMissing("spark.ui.enabled", "false")
            .setIfMissing("spark.executor.memory", "1g")
            // executors run Strata's classes from the same installation (the same path on
            // every host, as for the data and --out)
            .setIfMissing("spark.executor.extraClassPath", System.getProperty("java.class.path"))
            .setIfMissing(
                "spark.barrier.sync.timeout",
                Integer.toString(Math.max(600, r.stepTimeoutSeconds())));
    // executors train as `strata train` does: the malloc settings ./strata gives it (one arena
    // that keeps what PyTorch frees each step), unless the user set them
    String malloc = System.getenv("GLIBC_TUNABLES");
    if (malloc != null && !malloc.isEmpty()) {
      conf.setIfMissing("spark.executorEnv.GLIBC_TUNABLES", malloc);
    }
    // --conf over the defaults above (and over spark.* system properties)
    r.sparkConf().forEach(conf::set);
    String m = r.cluster();
    if (m.startsWith("local") || m.contains("127.0.0.1") || m.contains("localhost")) {
      conf.setIfMissing("spark.driver.host", "127.0.0.1")
          .setIfMissing("spark.driver.bindAddress", "127.0.0.1");
    }
    return conf;
  }

  private static long repeatedSteps(Path out) throws IOException {
    Path events = out.resolve(Tracked.EVENTS);
    if (!Files.exists(events)) {
      return 0;
    }
    long total = 0;
    Pattern p = Pattern.compile("\"repeatedSteps\":(\\d+)");
    for (String line : Files.readAllLines(events, StandardCharsets.UTF_8)) {
      Matcher m = p.matcher(line);
      if (m.find()) {
        total += Long.parseLong(m.group(1));
      }
    }
    return total;
  }

  private static void writeSummary(
      Path out,
      Request r,
      List<WorkerReport> reports,
      long serverBytes,
      double seconds,
      long repeated)
      throws IOException {
    StringBuilder b = new StringBuilder();
    b.append(
        String.format(
            Locale.ROOT,
            "{\"cluster\":\"%s\",\"workers\":%d,\"sync\":\"%s\",\"staleness\":%d,\"seconds\":%.3f,"
                + "\"repeatedSteps\":%d,\"serverBytesSent\":%d,\"perWorker\":[",
            r.cluster().replace("\"", ""),
            r.workers(),
            r.sync().name().toLowerCase(Locale.ROOT),
            r.staleness(),
            seconds,
            repeated,
            serverBytes));
    for (int i = 0; i < reports.size(); i++) {
      WorkerReport w = reports.get(i);
      b.append(i == 0 ? "" : ",")
          .append(
              String.format(
                  Locale.ROOT,
                  "{\"rank\":%d,\"host\":\"%s\",\"attempt\":%d,\"steps\":%d,\"secondsTraining\":%.3f,"
                      + "\"secondsExchange\":%.3f,\"bytesSent\":%d}",
                  w.rank(),
                  w.host(),
                  w.attempt(),
                  w.steps(),
                  w.secondsTraining(),
                  w.secondsExchange(),
                  w.bytesSent()));
    }
    b.append("]}\n");
    AtomicFiles.write(out.resolve("cluster.json"), b.toString().getBytes(StandardCharsets.UTF_8));
  }

  private static String rootMessage(Throwable e) {
    String best = e.getMessage();
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof StrataException && t.getMessage() != null) {
        return t.getMessage();
      }
      if (t.getMessage() != null) {
        best = t.getMessage();
      }
    }
    return best;
  }
}
