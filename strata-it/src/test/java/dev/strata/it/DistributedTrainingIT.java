package dev.strata.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Distributed training on a real Spark standalone cluster (issue 13 §3): a master and two worker
 * JVMs on loopback, started from the Spark jars, and {@code strata train --cluster} as a driver in
 * its own JVM. Each worker gives its one core to one executor JVM, where one barrier task trains.
 */
@Timeout(900)
class DistributedTrainingIT {
  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  static final Path SUBSET = ROOT.resolve("data/fashion-mnist-subset");
  static final ObjectMapper JSON = new ObjectMapper();

  static Path dir;
  static String classPath;
  static String master;
  static final List<Process> cluster = new ArrayList<>();

  @BeforeAll
  static void startCluster() throws Exception {
    dir =
        Path.of(System.getProperty(Harness.WORK_DIR, "target/it-work"))
            .toAbsolutePath()
            .resolve("DistributedTrainingIT");
    Harness.deleteRecursively(dir, p -> true);
    Files.createDirectories(dir);
    Path distributed = ROOT.resolve("strata-distributed/target");
    Path listed = distributed.resolve("classpath.txt");
    assertThat(listed).as("built by strata-distributed's package phase").isRegularFile();
    classPath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"))
            + File.pathSeparator
            + distributed.resolve("classes")
            + File.pathSeparator
            + Files.readString(listed).strip();
    // a Spark "installation" for the workers' executor launcher: no jars of its own, the
    // executors get theirs from spark.executor.extraClassPath (the driver's class path)
    Path home = dir.resolve("spark-home");
    Files.createDirectories(home.resolve("jars"));
    int port = freePort();
    int webUi = freePort();
    master = "spark://127.0.0.1:" + port;
    Process m =
        spark(
            "master",
            "org.apache.spark.deploy.master.Master",
            List.of(
                "--host",
                "127.0.0.1",
                "--port",
                Integer.toString(port),
                "--webui-port",
                Integer.toString(webUi)),
            home);
    cluster.add(m);
    for (int w = 0; w < 2; w++) {
      Path work = dir.resolve("worker-" + w);
      Files.createDirectories(work);
      cluster.add(
          spark(
              "worker-" + w,
              "org.apache.spark.deploy.worker.Worker",
              List.of(
                  master,
                  "--host",
                  "127.0.0.1",
                  "--cores",
                  "1",
                  "--memory",
                  "1g",
                  "--work-dir",
                  work.toString(),
                  "--webui-port",
                  Integer.toString(freePort())),
              home));
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    // the master's status page, not its log: the CLI's logback.xml keeps Spark at WARN
    while (aliveWorkers(webUi) < 2) {
      for (Process p : cluster) {
        assertThat(p.isAlive()).as("spark process (see %s)", dir).isTrue();
      }
      assertThat(System.nanoTime()).as("two workers registered within 120 s").isLessThan(deadline);
      Thread.sleep(200);
    }
  }

  @AfterAll
  static void stopCluster() {
    for (Process p : cluster.reversed()) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
  }

  /**
   * Two workers of batch 32 by ring all-reduce end with the weights of one worker of batch 64. The
   * cluster run reads its data through Hadoop ({@code viewfs://}, Hadoop's mount-table file system,
   * set up by {@code --conf spark.hadoop.*} as for HDFS or S3), the single run from the local path:
   * equal weights also prove the driver and both executors read the same samples.
   */
  @Test
  void allReduceOnTwoWorkersGivesTheWeightsOfOneWorkerWithTheDoubleBatch() throws Exception {
    Path spec = spec("mlp", MLP, 32, 2, "{type: sgd, learning_rate: 0.05, momentum: 0.9}");
    Path big = spec("mlp-64", MLP, 64, 2, "{type: sgd, learning_rate: 0.05, momentum: 0.9}");
    Path cluster = dir.resolve("allreduce");
    Path single = dir.resolve("single");
    Result c =
        strata(
            "allreduce",
            List.of(
                "train",
                "--spec",
                spec.toString(),
                "--data",
                "viewfs://strata/fashion",
                "--conf",
                "spark.hadoop.fs.viewfs.mounttable.strata.link./fashion=" + SUBSET.toUri(),
                "--out",
                cluster.toString(),
                "--quiet",
                "--cluster",
                master,
                "--workers",
                "2"));
    assertThat(c.exit()).as(c.log()).isZero();
    Result s =
        strata(
            "single",
            List.of(
                "train",
                "--spec",
                big.toString(),
                "--data",
                SUBSET.toString(),
                "--out",
                single.toString(),
                "--quiet"));
    assertThat(s.exit()).as(s.log()).isZero();
    // 1,800 training samples: 29 steps of 64 per epoch, 58 in all
    float[] a = floats(cluster.resolve("checkpoint/epoch-0002.params"));
    float[] b = floats(single.resolve("checkpoint/epoch-0002.params"));
    assertThat(relativeDifference(a, b)).isLessThan(1e-5);
    JsonNode summary = JSON.readTree(cluster.resolve("cluster.json").toFile());
    assertThat(summary.get("workers").asInt()).isEqualTo(2);
    assertThat(summary.get("perWorker")).hasSize(2);
    for (JsonNode w : summary.get("perWorker")) {
      assertThat(w.get("steps").asLong()).isEqualTo(58);
      assertThat(w.get("bytesSent").asLong()).isPositive();
    }
    assertThat(cluster.resolve("model.onnx")).isRegularFile();
    assertThat(cluster.resolve("report.html")).isRegularFile();
    assertThat(accuracy(cluster)).isGreaterThan(0.6);
  }

  /** The parameter server, synchronous and asynchronous, trains a valid model on the cluster. */
  @Test
  void parameterServerTrainsSynchronouslyAndAsynchronously() throws Exception {
    Path spec = spec("mlp-ps", MLP, 32, 2, "{type: adamw, learning_rate: 0.003}");
    for (String staleness : new String[] {"0", "2"}) {
      Path out = dir.resolve("ps-" + staleness);
      Result r =
          strata(
              "ps-" + staleness,
              List.of(
                  "train",
                  "--spec",
                  spec.toString(),
                  "--data",
                  SUBSET.toString(),
                  "--out",
                  out.toString(),
                  "--quiet",
                  "--cluster",
                  master,
                  "--workers",
                  "2",
                  "--sync",
                  "parameter-server",
                  "--staleness",
                  staleness));
      assertThat(r.exit()).as(r.log()).isZero();
      JsonNode summary = JSON.readTree(out.resolve("cluster.json").toFile());
      assertThat(summary.get("sync").asText()).isEqualTo("parameter_server");
      assertThat(summary.get("serverBytesSent").asLong()).isPositive();
      assertThat(accuracy(out)).as("staleness %s", staleness).isGreaterThan(0.6);
    }
  }

  /**
   * Killing one worker's executor mid-epoch: Spark re-runs the barrier stage, the workers resume
   * from rank 0's last checkpoint, the run ends with a valid model and says how many steps it
   * repeated.
   */
  @Test
  void aKilledExecutorCostsTheStepsSinceTheLastCheckpoint() throws Exception {
    Path spec = spec("cnn", CNN, 32, 4, "{type: adamw, learning_rate: 0.003}");
    Path out = dir.resolve("killed");
    Files.createDirectories(out);
    Path progress = out.resolve("cluster-progress");
    Process driver =
        start(
            "killed",
            List.of(
                "train",
                "--spec",
                spec.toString(),
                "--data",
                SUBSET.toString(),
                "--out",
                out.toString(),
                "--quiet",
                "--cluster",
                master,
                "--workers",
                "2",
                "--checkpoint-every",
                "10"));
    long deadline = System.nanoTime() + Duration.ofSeconds(300).toNanos();
    long step = 0;
    while (step < 35) {
      assertThat(driver.isAlive()).as(Files.readString(dir.resolve("killed.log"))).isTrue();
      assertThat(System.nanoTime()).as("35 steps within 300 s").isLessThan(deadline);
      Thread.sleep(20);
      step = progressStep(progress);
    }
    // the executor of worker JVM 1 (whichever rank it holds)
    ProcessHandle executor =
        cluster
            .get(2)
            .descendants()
            .filter(DistributedTrainingIT::executorCommand)
            .findFirst()
            .orElseThrow(
                () ->
                    new AssertionError(
                        "no executor under worker 1: "
                            + cluster.get(2).descendants().map(h -> h.info().toString()).toList()));
    executor.destroyForcibly();
    long killedAt = progressStep(progress);
    assertThat(driver.waitFor(600, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    String log = Files.readString(dir.resolve("killed.log"));
    assertThat(driver.exitValue()).as(log).isZero();
    List<String> events = Files.readAllLines(out.resolve("cluster-events.jsonl"));
    assertThat(events).isNotEmpty();
    JsonNode e = JSON.readTree(events.getFirst());
    long resumed = e.get("resumedAtStep").asLong();
    assertThat(resumed % 10).as("a checkpoint step").isZero();
    assertThat(resumed).isLessThanOrEqualTo(killedAt).isGreaterThan(0);
    assertThat(e.get("repeatedSteps").asLong()).isEqualTo(e.get("reachedStep").asLong() - resumed);
    assertThat(e.get("repeatedSteps").asLong()).isLessThanOrEqualTo(10 + 2);
    assertThat(log).contains("steps were repeated");
    JsonNode summary = JSON.readTree(out.resolve("cluster.json").toFile());
    assertThat(summary.get("repeatedSteps").asLong()).isEqualTo(e.get("repeatedSteps").asLong());
    assertThat(summary.get("perWorker").get(0).get("attempt").asInt()).isPositive();
    assertThat(accuracy(out)).isGreaterThan(0.6);
  }

  static final String MLP =
      """
      - {type: flatten}
      - {type: linear, units: 32}
      - {type: relu}
      - {type: linear, units: 10}
      """;

  static final String CNN =
      """
      - {type: conv2d, filters: 16, kernel: 3, padding: 1}
      - {type: relu}
      - {type: max_pool, kernel: 2}
      - {type: conv2d, filters: 32, kernel: 3, padding: 1}
      - {type: relu}
      - {type: max_pool, kernel: 2}
      - {type: flatten}
      - {type: linear, units: 10}
      """;

  static Path spec(String name, String layers, int batch, int epochs, String optimizer)
      throws IOException {
    String indented =
        layers.strip().lines().map(l -> "    " + l).reduce((x, y) -> x + "\n" + y).orElseThrow();
    String yaml =
        """
        format_version: 1
        name: %s
        preprocessing:
          input: {kind: image, channels: 1, height: 28, width: 28}
          steps:
            - {op: normalize}
            - {op: split, validation: 0.1, test: 0, seed: 1, stratified: true}
        model:
          layers:
        %s
        training:
          epochs: %d
          batch_size: %d
          seed: 5
          optimizer: %s
        """
            .formatted(name, indented, epochs, batch, optimizer);
    Path p = dir.resolve(name + ".yaml");
    Files.writeString(p, yaml);
    return p;
  }

  record Result(int exit, String log) {}

  static Result strata(String name, List<String> args) throws Exception {
    Process p = start(name, args);
    assertThat(p.waitFor(600, java.util.concurrent.TimeUnit.SECONDS)).as(name).isTrue();
    return new Result(p.exitValue(), Files.readString(dir.resolve(name + ".log")));
  }

  static Process start(String name, List<String> args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(JvmCommand.javaBinary());
    cmd.addAll(sparkJvmOptions());
    cmd.addAll(List.of("-Xmx768m", "-Djava.io.tmpdir=" + dir.resolve("tmp-" + name)));
    Files.createDirectories(dir.resolve("tmp-" + name));
    cmd.addAll(List.of("-cp", classPath, "dev.strata.cli.StrataCli"));
    cmd.addAll(args);
    cmd.addAll(List.of("--data-dir", dir.resolve("strata-home").toString()));
    ProcessBuilder b = new ProcessBuilder(cmd).redirectErrorStream(true);
    b.redirectOutput(dir.resolve(name + ".log").toFile());
    b.directory(dir.toFile());
    return b.start();
  }

  static Process spark(String name, String main, List<String> args, Path home) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(JvmCommand.javaBinary());
    cmd.addAll(sparkJvmOptions());
    cmd.addAll(List.of("-Xmx256m", "-cp", classPath, main));
    cmd.addAll(args);
    ProcessBuilder b = new ProcessBuilder(cmd).redirectErrorStream(true);
    b.redirectOutput(dir.resolve(name + ".log").toFile());
    Map<String, String> env = b.environment();
    env.put("SPARK_HOME", home.toString());
    env.put("SPARK_SCALA_VERSION", "2.13");
    env.put("SPARK_LOCAL_IP", "127.0.0.1");
    env.put("JAVA_HOME", Path.of(JvmCommand.javaBinary()).getParent().getParent().toString());
    return b.start();
  }

  /** The JDK options Spark itself adds to the JVMs it starts (module opens for JDK 17+). */
  static List<String> sparkJvmOptions() {
    List<String> o = new ArrayList<>();
    o.add("--enable-native-access=ALL-UNNAMED");
    if (Runtime.version().feature() >= 24) {
      o.add("--sun-misc-unsafe-memory-access=allow");
    }
    for (String s : DEFAULT_MODULE_OPTIONS.split(" ")) {
      o.add(s);
    }
    return o;
  }

  // org.apache.spark.launcher.JavaModuleOptions (not on this module's class path)
  static final String DEFAULT_MODULE_OPTIONS =
      "-XX:+IgnoreUnrecognizedVMOptions --add-modules=jdk.incubator.vector"
          + " --add-opens=java.base/java.lang=ALL-UNNAMED"
          + " --add-opens=java.base/java.lang.invoke=ALL-UNNAMED"
          + " --add-opens=java.base/java.lang.reflect=ALL-UNNAMED"
          + " --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.net=ALL-UNNAMED"
          + " --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED"
          + " --add-opens=java.base/java.util.concurrent=ALL-UNNAMED"
          + " --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED"
          + " --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED"
          + " --add-opens=java.base/sun.nio.ch=ALL-UNNAMED"
          + " --add-opens=java.base/sun.nio.cs=ALL-UNNAMED"
          + " --add-opens=java.base/sun.security.action=ALL-UNNAMED"
          + " --add-opens=java.base/sun.util.calendar=ALL-UNNAMED"
          + " -Djdk.reflect.useDirectMethodHandle=false -Dio.netty.tryReflectionSetAccessible=true";

  /**
   * The worker JVM's only Java child is its executor (the JDK reads a truncated command line, so
   * the executor's main class does not show).
   */
  static boolean executorCommand(ProcessHandle h) {
    return h.info().command().map(c -> c.endsWith("/java")).orElse(false);
  }

  static long progressStep(Path progress) {
    try {
      String[] s = Files.readString(progress).strip().split(" ");
      return Long.parseLong(s[1]);
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  static double accuracy(Path out) throws IOException {
    JsonNode m = JSON.readTree(out.resolve("metrics.json").toFile());
    return m.at("/classification/accuracy").asDouble();
  }

  /** The workers the master's web UI reports alive, or 0 while it does not answer yet. */
  static int aliveWorkers(int webUi) throws InterruptedException {
    try (HttpClient http = HttpClient.newHttpClient()) {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + webUi + "/json/"))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? JSON.readTree(r.body()).path("aliveworkers").asInt() : 0;
    } catch (IOException e) {
      return 0;
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static float[] floats(Path params) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(params));
    float[] f = new float[b.remaining() / 4];
    b.asFloatBuffer().get(f);
    return f;
  }

  /** Over the weights in two DJL parameter files of one network (headers compare equal). */
  static double relativeDifference(float[] a, float[] b) {
    assertThat(a).hasSameSizeAs(b);
    double diff = 0;
    double norm = 0;
    for (int i = 0; i < a.length; i++) {
      if (Float.isNaN(a[i]) && Float.isNaN(b[i])) {
        continue;
      }
      diff += (a[i] - (double) b[i]) * (a[i] - (double) b[i]);
      if (Float.isFinite(a[i])) {
        norm += a[i] * (double) a[i];
      }
    }
    return Math.sqrt(diff / Math.max(norm, 1e-30));
  }
}
