package dev.strata.bench.train;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.strata.onnx.OnnxModels;
import dev.strata.preprocess.FittedPipeline;
import dev.strata.train.data.DataSources;
import dev.strata.train.data.Features;
import dev.strata.train.data.PreparedData;
import dev.strata.train.engine.TrainConfig;
import dev.strata.train.spec.TrainingSpec;
import dev.strata.train.training.EpochStats;
import dev.strata.train.training.ModelTrainer;
import dev.strata.train.training.TrainedModel;
import dev.strata.train.training.TrainingListener;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Training and inference throughput of {@code fashion-cnn}: trains the spec's network for a few
 * epochs on Fashion-MNIST with DJL/PyTorch (augmentation off, as in the PyTorch reference script
 * {@code strata-bench/python/train_reference.py}) and reports each epoch's time and images/s, then
 * the exported model's inference images/s in ONNX Runtime. Prints one JSON line per result.
 *
 * <pre>
 * java -cp ... dev.strata.bench.train.TrainingBenchmark \
 *     [--spec models/fashion-cnn/spec.yaml] [--data /usr/share/datasets/fashion-mnist] \
 *     [--model models/fashion-cnn/model.onnx] [--threads 2] [--epochs 2] [--batch 128]
 *     [--train-images N]
 * </pre>
 */
public final class TrainingBenchmark {
  private TrainingBenchmark() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> a = parse(args);
    Path spec = Path.of(a.getOrDefault("--spec", "models/fashion-cnn/spec.yaml"));
    Path data = Path.of(a.getOrDefault("--data", "/usr/share/datasets/fashion-mnist"));
    Path model = Path.of(a.getOrDefault("--model", "models/fashion-cnn/model.onnx"));
    int threads = Integer.parseInt(a.getOrDefault("--threads", "2"));
    int epochs = Integer.parseInt(a.getOrDefault("--epochs", "2"));
    int batch = Integer.parseInt(a.getOrDefault("--batch", "128"));
    int limit = Integer.parseInt(a.getOrDefault("--train-images", "0"));

    TrainingSpec s = TrainingSpec.read(spec);
    // no augmentation, so both sides do the same work per step
    String json =
        s.toJson().replaceAll("\\{\"op\":\"random_(flip|shift)\"[^}]*},?", "").replace(",]", "]");
    s = TrainingSpec.parse(json, false, "benchmark spec").withEpochs(epochs);
    TrainConfig config = TrainConfig.defaults().withThreads(threads, 1);
    PreparedData prepared = PreparedData.prepare(s, DataSources.load(data, s));
    if (limit > 0 && limit < prepared.train().count()) {
      int[] first = new int[limit];
      for (int i = 0; i < limit; i++) {
        first[i] = i;
      }
      prepared =
          new PreparedData(
              prepared.pipeline(),
              prepared.classes(),
              prepared.train().subset(first),
              prepared.validation(),
              prepared.test(),
              prepared.digest());
    }
    ModelTrainer trainer =
        new ModelTrainer(
            config,
            Clock.systemUTC(),
            new TrainingListener() {
              private double cpu0;
              private long wall0;

              @Override
              public void onStep(
                  int epoch,
                  int epochs,
                  int step,
                  int steps,
                  double loss,
                  double acc,
                  double sps,
                  double eta) {
                // steps 2..N: the same window the PyTorch script measures
                if (step == 1) {
                  cpu0 = processCpuSeconds();
                  wall0 = System.nanoTime();
                } else if (step == steps) {
                  System.out.printf(
                      Locale.ROOT,
                      "{\"framework\":\"strata\",\"epoch\":%d,\"steps_measured\":%d,"
                          + "\"wall_seconds\":%.2f,\"cpu_seconds\":%.2f}%n",
                      epoch,
                      steps - 1,
                      (System.nanoTime() - wall0) / 1e9,
                      processCpuSeconds() - cpu0);
                }
              }

              @Override
              public void onEpoch(EpochStats e) {
                System.out.printf(
                    Locale.ROOT,
                    "{\"framework\":\"strata (djl 0.35.1, pytorch 2.7.1)\",\"threads\":%d,\"epoch\":%d,"
                        + "\"seconds\":%.2f,\"images_per_second\":%.1f,\"train_loss\":%.4f,"
                        + "\"train_accuracy\":%.4f}%n",
                    threads,
                    e.epoch(),
                    e.seconds(),
                    e.samplesPerSecond(),
                    e.trainLoss(),
                    e.trainAccuracy());
              }
            });
    Path dir = Files.createTempDirectory("strata-bench-");
    try (TrainedModel m = trainer.train(s, prepared, dir, Optional.empty())) {
      System.out.printf(
          Locale.ROOT,
          "{\"parameters\":%d,\"train_images\":%d}%n",
          m.parameterCount(),
          prepared.train().count());
    }
    if (Files.exists(model)) {
      inference(model, prepared.test().orElseThrow(), threads, batch);
    }
  }

  private static void inference(Path model, Features test, int threads, int batch)
      throws Exception {
    var proto = OnnxModels.read(model);
    FittedPipeline p = FittedPipeline.fromModelMetadata(OnnxModels.metadata(proto)).orElseThrow();
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    int per = test.sampleSize();
    int n = test.count();
    try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
      o.setIntraOpNumThreads(threads);
      o.setInterOpNumThreads(1);
      try (OrtSession session = env.createSession(proto.toByteArray(), o)) {
        for (int round = 0; round < 3; round++) {
          long start = System.nanoTime();
          for (int from = 0; from < n; from += batch) {
            int b = Math.min(batch, n - from);
            try (OnnxTensor x =
                    OnnxTensor.createTensor(
                        env,
                        FloatBuffer.wrap(test.data(), from * per, b * per),
                        new long[] {b, 1, 28, 28});
                OrtSession.Result r = session.run(Map.of(p.modelInput(), x))) {
              r.get(0);
            }
          }
          double secs = (System.nanoTime() - start) / 1e9;
          System.out.printf(
              Locale.ROOT,
              "{\"framework\":\"onnxruntime 1.23.2\",\"threads\":%d,\"inference_batch\":%d,"
                  + "\"round\":%d,\"images_per_second\":%.1f}%n",
              threads,
              batch,
              round + 1,
              n / secs);
        }
      }
    }
  }

  /** User + system CPU time of this process, all threads (native ones included), from /proc. */
  static double processCpuSeconds() {
    try {
      String stat = Files.readString(Path.of("/proc/self/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // utime and stime, fields 14 and 15 of stat, are 11 and 12 after the command name
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
    } catch (java.io.IOException e) {
      return Double.NaN;
    }
  }

  private static Map<String, String> parse(String[] args) {
    Map<String, String> m = new java.util.HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      m.put(args[i], args[i + 1]);
    }
    return m;
  }
}
