package dev.strata.federated.client;

import static java.util.Objects.requireNonNull;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.strata.api.CloudApiClient;
import dev.strata.control.Json;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.federated.aggregate.ClientUpdate;
import dev.strata.federated.job.Evaluation;
import dev.strata.federated.job.NodeMessages;
import dev.strata.federated.job.Task;
import dev.strata.federated.privacy.ClientPrivacy;
import dev.strata.federated.secagg.Messages;
import dev.strata.federated.secagg.SecAggClient;
import dev.strata.train.data.DataSources;
import dev.strata.train.data.Dataset;
import dev.strata.train.data.Features;
import dev.strata.train.data.PreparedData;
import dev.strata.train.engine.TrainConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's side of federated learning: polls the cloud for its task, trains on its own data ({@code
 * --train-data}: IDX files or class folders of images, the first tenth of it held out for
 * evaluation unless it has its own test part) and sends back only what the task asks for — the
 * parameter change, or under secure aggregation its keys, sealed shares, masked update and
 * unmasking answer. No sample leaves the node. Runs on its own thread; a failed call is retried at
 * the next poll, and a node that was away simply picks up the round it is given next.
 */
public final class FederatedParticipant
    implements dev.strata.federated.TrainingModule.NodeTraining {
  private static final Logger log = LoggerFactory.getLogger(FederatedParticipant.class);
  private static final String BASE = "/api/v1/nodes/self/federated";

  private final Supplier<CloudApiClient> cloud;
  private final String name;
  private final Path trainData;
  private final TrainConfig config;
  private final Duration interval;
  private final BiConsumer<String, byte[]> wire;
  private final ScheduledExecutorService thread;
  private final SecureRandom random = new SecureRandom();
  private Job job;
  private Round round;

  private record Job(
      String id, StartModel start, LocalTrainer trainer, Features train, Features heldOut) {}

  private static final class Round {
    final int number;
    final int attempt;
    final float[] delta;
    final Optional<SecAggClient> secure;
    double weight;

    Round(int number, int attempt, float[] delta, Optional<SecAggClient> secure) {
      this.number = number;
      this.attempt = attempt;
      this.delta = delta;
      this.secure = secure;
    }
  }

  /**
   * @param cloud the cloud client with this node's credential (may throw UNAVAILABLE before
   *     enrollment)
   * @param wire sees every request body this node sends, by path (for audits and tests)
   */
  public FederatedParticipant(
      Supplier<CloudApiClient> cloud,
      String name,
      Path trainData,
      Duration interval,
      BiConsumer<String, byte[]> wire) {
    this.cloud = requireNonNull(cloud, "cloud");
    this.name = requireNonNull(name, "name");
    this.trainData = requireNonNull(trainData, "trainData");
    this.config = TrainConfig.defaults(); // DJL's native cache is shared: $STRATA_HOME or ~/.strata
    this.interval = requireNonNull(interval, "interval");
    this.wire = requireNonNull(wire, "wire");
    this.thread =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().name("strata-federated-client").daemon(true).unstarted(r));
  }

  @Override
  public void start() {
    thread.scheduleWithFixedDelay(this::poll, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    log.info("federated learning: training on {} when the cloud asks", trainData);
  }

  private void poll() {
    try {
      while (step()) {
        // the next step may be ready at once (e.g. shares right after keys)
      }
    } catch (StrataException e) {
      if (e.code() == ErrorCode.UNAVAILABLE) {
        log.debug("federated learning: cloud unavailable ({})", e.getMessage());
      } else {
        log.warn("federated learning: {}", e.getMessage());
      }
    } catch (RuntimeException e) {
      log.error("federated learning: task failed; retrying at the next poll", e);
    }
  }

  /** One poll and the task it gives; true when there was one. */
  public boolean step() {
    CloudApiClient.Exchange x = cloud.get().exchange("GET", BASE + "/task", null, null);
    if (x.status() == 204 || x.body().length == 0) {
      return false;
    }
    Task task = Json.read(new String(x.body(), StandardCharsets.UTF_8), Task.class);
    switch (task) {
      case Task.Train t -> train(t);
      case Task.Share s -> {
        Round r = current(s.job(), s.round());
        r.weight = s.weight();
        NodeMessages.Shares body =
            new NodeMessages.Shares(r.attempt, r.secure.orElseThrow().shareKeys(s.adverts()));
        send("POST", path(s.job(), s.round(), "shares"), "application/json", Json.writeBytes(body));
      }
      case Task.Mask m -> {
        Round r = current(m.job(), m.round());
        float[] x2 = new float[r.delta.length];
        for (int i = 0; i < x2.length; i++) {
          x2[i] = (float) (r.weight * r.delta[i]);
        }
        Messages.MaskedInput in = r.secure.orElseThrow().mask(m.shares(), x2);
        ByteBuffer b = ByteBuffer.allocate(4 * in.values().length).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(in.values());
        send(
            "POST",
            path(m.job(), m.round(), "masked") + "?attempt=" + r.attempt + "&id=" + in.id(),
            "application/octet-stream",
            b.array());
      }
      case Task.Unmask u -> {
        Round r = current(u.job(), u.round());
        NodeMessages.Unmask body =
            new NodeMessages.Unmask(r.attempt, r.secure.orElseThrow().unmask(u.request()));
        send("POST", path(u.job(), u.round(), "unmask"), "application/json", Json.writeBytes(body));
      }
    }
    return true;
  }

  private void train(Task.Train t) {
    Job j = job(t.job());
    float[] global =
        floats(cloud.get().exchange("GET", path(t.job(), t.round(), "global"), null, null).body());
    double[] eval =
        j.heldOut().count() > 0
            ? j.trainer().evaluate(global, j.heldOut())
            : new double[] {Double.NaN, Double.NaN};
    Evaluation evaluation = new Evaluation(eval[0], eval[1], j.heldOut().count());
    LocalTraining how =
        new LocalTraining(
            t.local().epochs(),
            t.local().batchSize(),
            LocalTraining.sgd(t.local().learningRate(), t.local().momentum()),
            t.proximalMu());
    long seed = random.nextLong();
    ClientUpdate u = j.trainer().train(name, global, j.train(), how, seed);
    float[] delta = u.delta();
    t.privacy().ifPresent(p -> p.clipInPlace(delta));
    if (t.noiseStd() > 0) {
      ClientPrivacy.addNoise(delta, t.noiseStd(), random);
    }
    log.info(
        "federated job {} round {}: trained on {} samples, loss {}, held-out accuracy before {}",
        t.job(),
        t.round(),
        u.samples(),
        fmt(u.trainLoss()),
        fmt(eval[1]));
    if (t.secure().isEmpty()) {
      ByteBuffer b = ByteBuffer.allocate(4 * delta.length).order(ByteOrder.LITTLE_ENDIAN);
      b.asFloatBuffer().put(delta);
      String q =
          String.format(
              Locale.ROOT,
              "?attempt=%d&samples=%d&train_loss=%s&eval_samples=%d%s",
              t.attempt(),
              u.samples(),
              u.trainLoss(),
              evaluation.samples(),
              evaluation.samples() > 0
                  ? "&eval_loss=" + evaluation.loss() + "&eval_accuracy=" + evaluation.accuracy()
                  : "");
      send("POST", path(t.job(), t.round(), "update") + q, "application/octet-stream", b.array());
      round = null;
      return;
    }
    SecAggClient secure = new SecAggClient(t.participant(), t.secure().get(), random);
    round = new Round(t.round(), t.attempt(), delta, Optional.of(secure));
    NodeMessages.Keys keys =
        new NodeMessages.Keys(
            t.attempt(), secure.advertise(), u.samples(), u.trainLoss(), evaluation);
    send("POST", path(t.job(), t.round(), "keys"), "application/json", Json.writeBytes(keys));
  }

  private Round current(String jobId, int number) {
    if (round == null || job == null || !job.id().equals(jobId) || round.number != number) {
      throw StrataException.invalid(
          "federated job %s round %d: this node has not trained it (a restart?)", jobId, number);
    }
    return round;
  }

  private Job job(String id) {
    if (job != null && job.id().equals(id)) {
      return job;
    }
    if (job != null) {
      job.trainer().close();
      job = null;
    }
    byte[] onnx = cloud.get().exchange("GET", BASE + "/jobs/" + id + "/model", null, null).body();
    ModelProto model;
    try {
      model = ModelProto.parseFrom(onnx);
    } catch (IOException e) {
      throw StrataException.invalid(
          "federated job %s: the start model is not ONNX (%s)", id, e.getMessage());
    }
    StartModel start = StartModel.of(model, "federated job " + id + " start model");
    DataSources.Loaded loaded;
    try {
      loaded = DataSources.load(DataSources.resolveAlias(trainData), start.spec());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the training data " + trainData, e);
    }
    Dataset all = aligned(loaded.train(), start.classes());
    Features features = PreparedData.features(start.pipeline(), all);
    Features train;
    Features heldOut;
    if (loaded.test().isPresent()) {
      train = features;
      heldOut =
          PreparedData.features(
              start.pipeline(), PreparedData.alignClasses(loaded.test().get(), start.classes()));
    } else {
      int[] order =
          dev.strata.train.training.ModelTrainer.shuffled(features.count(), new Random(7));
      int held = order.length / 10;
      heldOut = features.subset(java.util.Arrays.copyOfRange(order, 0, held));
      train = features.subset(java.util.Arrays.copyOfRange(order, held, order.length));
    }
    LocalTrainer trainer =
        new LocalTrainer(config, start.spec(), start.pipeline(), Optional.of(start.layout()));
    job = new Job(id, start, trainer, train, heldOut);
    log.info(
        "federated job {}: {} local samples to train on, {} held out",
        id,
        train.count(),
        heldOut.count());
    return job;
  }

  /**
   * The local data with the model's classes: by name, or — for IDX files without a labels.txt,
   * whose classes are their indices — by index.
   */
  private static Dataset aligned(Dataset d, java.util.List<String> classes) {
    java.util.List<String> indices = new java.util.ArrayList<>();
    for (int i = 0; i < d.classes().size(); i++) {
      indices.add(Integer.toString(i));
    }
    if (!d.classes().equals(classes)
        && d.classes().equals(indices)
        && indices.size() <= classes.size()) {
      return switch (d) {
        case Dataset.Images im ->
            new Dataset.Images(im.source(), im.images(), im.labels(), classes);
        case Dataset.Rows r ->
            new Dataset.Rows(r.source(), r.rows(), r.labels(), r.targets(), classes);
      };
    }
    return PreparedData.alignClasses(d, classes);
  }

  private void send(String method, String path, String contentType, byte[] body) {
    wire.accept(path, body);
    cloud.get().exchange(method, path, contentType, body);
  }

  private static String path(String job, int round, String what) {
    return BASE + "/jobs/" + job + "/rounds/" + round + "/" + what;
  }

  private static float[] floats(byte[] bytes) {
    float[] out = new float[bytes.length / 4];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
    return out;
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, "%.4f", v);
  }

  @Override
  public void close() {
    thread.shutdownNow();
    try {
      thread.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (job != null) {
      job.trainer().close();
    }
  }
}
