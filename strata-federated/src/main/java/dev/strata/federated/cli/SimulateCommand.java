package dev.strata.federated.cli;

import dev.strata.core.AtomicFiles;
import dev.strata.core.StrataException;
import dev.strata.federated.client.LocalTrainer;
import dev.strata.federated.client.LocalTraining;
import dev.strata.federated.privacy.ClientPrivacy;
import dev.strata.federated.sim.Chart;
import dev.strata.federated.sim.Partition;
import dev.strata.federated.sim.RoundResult;
import dev.strata.federated.sim.Simulation;
import dev.strata.federated.sim.SimulationOptions;
import dev.strata.train.cli.CommonOptions;
import dev.strata.train.data.DataSources;
import dev.strata.train.data.Features;
import dev.strata.train.data.PreparedData;
import dev.strata.train.eval.TrainJson;
import dev.strata.train.spec.TrainingSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code strata federated simulate}: a federated job with simulated clients, in one process. */
@Command(
    name = "simulate",
    mixinStandardHelpOptions = true,
    description = {
      "Run a federated job in one process with the same client, aggregation, secure aggregation",
      "and privacy code as the fleet: the training data is dealt out to --clients clients",
      "(--partition iid or dirichlet:ALPHA), --per-round of them train each round, and the global",
      "model is evaluated on the test set after every round.",
      "",
      "Prints one line per round and writes DIR/rounds.json (options and every round) and",
      "DIR/chart.html (the test-accuracy curve)."
    })
public final class SimulateCommand implements Callable<Integer> {
  @Option(
      names = "--spec",
      paramLabel = "SPEC",
      defaultValue = "models/fashion-cnn/spec.yaml",
      description = "The network and preprocessing (default: ${DEFAULT-VALUE}).")
  Path spec;

  @Option(
      names = "--data",
      paramLabel = "DATA",
      defaultValue = "fashion-mnist",
      description = "Data set as for 'strata train' (default: ${DEFAULT-VALUE}).")
  Path data;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      defaultValue = "federated-simulation",
      description = "Output directory (default: ${DEFAULT-VALUE}).")
  Path out;

  @Option(
      names = "--clients",
      defaultValue = "100",
      description = "Clients (default: ${DEFAULT-VALUE}).")
  int clients;

  @Option(
      names = "--per-round",
      defaultValue = "10",
      description = "Clients per round (default: ${DEFAULT-VALUE}).")
  int perRound;

  @Option(
      names = "--rounds",
      defaultValue = "50",
      description = "Rounds (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Option(
      names = "--partition",
      defaultValue = "dirichlet:0.5",
      description = "iid or dirichlet:ALPHA (default: ${DEFAULT-VALUE}).")
  String partition;

  @Mixin StrategyOptions strategyOptions;

  @Option(
      names = "--local-epochs",
      defaultValue = "2",
      description = "Local epochs per round (default: ${DEFAULT-VALUE}).")
  int localEpochs;

  @Option(
      names = "--local-batch-size",
      defaultValue = "32",
      description = "Local batch size (default: ${DEFAULT-VALUE}).")
  int localBatch;

  @Option(
      names = "--local-learning-rate",
      defaultValue = "0.02",
      description = "Local SGD learning rate (default: ${DEFAULT-VALUE}).")
  double localLearningRate;

  @Option(
      names = "--local-momentum",
      defaultValue = "0.9",
      description = "Local SGD momentum (default: ${DEFAULT-VALUE}).")
  double localMomentum;

  @Option(
      names = "--local-lr-floor",
      defaultValue = "0.01",
      description =
          "The local learning rate decays by a cosine over the rounds to this share of its start"
              + " (1: constant; default: ${DEFAULT-VALUE}).")
  double learningRateFloor;

  @Option(names = "--secure-aggregation", description = "Sum the updates under secure aggregation.")
  boolean secureAggregation;

  @Option(
      names = "--clipping-range",
      defaultValue = "8",
      description =
          "Secure aggregation: each update element is clamped to +-R (default: ${DEFAULT-VALUE}).")
  double clippingRange;

  @Option(
      names = "--dp-noise",
      paramLabel = "SIGMA",
      description = "Client-level DP: noise multiplier (turns DP on; needs --clip).")
  Double dpNoise;

  @Option(
      names = "--clip",
      paramLabel = "C",
      description = "Client-level DP: L2 norm bound of an update.")
  Double clip;

  @Option(
      names = "--dp-budget",
      paramLabel = "EPS",
      description =
          "Client-level DP: stop before a round would take epsilon (delta 1e-5) past EPS.")
  Double budget;

  @Option(
      names = "--dropout",
      defaultValue = "0",
      description =
          "Share of each round's clients that drop mid-round (default: ${DEFAULT-VALUE}).")
  double dropout;

  @Option(names = "--seed", defaultValue = "42", description = "Seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--train-samples",
      paramLabel = "N",
      description = "Use only the first N training samples (quick runs).")
  Integer trainSamples;

  @Mixin CommonOptions common;

  @Override
  public Integer call() throws Exception {
    if (!Files.isRegularFile(spec)) {
      throw StrataException.invalid(
          "spec %s: no such file (expected: a training spec, e.g. models/fashion-cnn/spec.yaml)",
          spec);
    }
    if (dpNoise != null && clip == null || dpNoise == null && clip != null) {
      throw StrataException.invalid(
          "--dp-noise and --clip: give both to turn differential privacy on");
    }
    TrainingSpec s = TrainingSpec.read(spec);
    SimulationOptions options =
        new SimulationOptions(
            clients,
            perRound,
            rounds,
            Partition.parse(partition),
            strategyOptions.spec(),
            new LocalTraining(
                localEpochs, localBatch, LocalTraining.sgd(localLearningRate, localMomentum), 0),
            secureAggregation,
            clippingRange,
            dpNoise == null ? Optional.empty() : Optional.of(new ClientPrivacy(dpNoise, clip)),
            dropout,
            learningRateFloor,
            seed);
    PreparedData prepared =
        PreparedData.prepare(s, DataSources.load(DataSources.resolveAlias(data), s));
    Features train = prepared.train();
    if (trainSamples != null) {
      int n = Math.min(trainSamples, train.count());
      int[] idx = new int[n];
      for (int i = 0; i < n; i++) {
        idx[i] = i;
      }
      train = train.subset(idx);
    }
    Features test =
        prepared
            .test()
            .orElseThrow(
                () ->
                    StrataException.invalid(
                        "data %s: no test set (expected: a data set with a test part)", data));
    Files.createDirectories(out);
    List<RoundResult> results = new ArrayList<>();
    String name = label(options);
    System.out.printf(
        Locale.ROOT,
        "%s: %d clients, %d per round, %d rounds, %s, %d training samples%n",
        name,
        clients,
        perRound,
        rounds,
        options.partition(),
        train.count());
    try (LocalTrainer trainer = new LocalTrainer(common.config(), s, prepared.pipeline())) {
      new Simulation(options, trainer, train, test, prepared.classes().size())
          .run(
              r -> {
                results.add(r);
                System.out.printf(
                    Locale.ROOT,
                    "round %d/%d: %d clients (%d dropped), train loss %.4f, test accuracy %.2f%%%s, %.1f s%s%n",
                    r.round(),
                    rounds,
                    r.participants(),
                    r.dropped(),
                    r.trainLoss(),
                    r.testAccuracy() * 100,
                    Double.isNaN(r.epsilon())
                        ? ""
                        : String.format(Locale.ROOT, ", epsilon %.3f", r.epsilon()),
                    r.seconds(),
                    secureAggregation
                        ? String.format(
                            Locale.ROOT,
                            " (secure aggregation %.2f s, %.3fx plain traffic)",
                            r.secAggSeconds(),
                            (double) r.clientBytes() / r.plainUpdateBytes())
                        : "");
                write(name, options, results);
              },
              budget == null ? Double.POSITIVE_INFINITY : budget);
    }
    RoundResult best =
        results.stream()
            .max((a, b) -> Double.compare(a.testAccuracy(), b.testAccuracy()))
            .orElseThrow();
    System.out.printf(
        Locale.ROOT,
        "best test accuracy %.2f%% at round %d -> %s%n",
        best.testAccuracy() * 100,
        best.round(),
        out.resolve("rounds.json"));
    return 0;
  }

  private void write(String name, SimulationOptions options, List<RoundResult> results) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("name", name);
    doc.put(
        "options",
        Map.of(
            "clients",
            clients,
            "per_round",
            perRound,
            "rounds",
            rounds,
            "partition",
            options.partition().toString(),
            "strategy",
            options.strategy(),
            "local",
            options.local(),
            "secure_aggregation",
            secureAggregation,
            "dp",
            options.privacy().map(p -> (Object) p).orElse("off"),
            "dropout",
            dropout,
            "seed",
            seed));
    doc.put("rounds", results);
    try {
      AtomicFiles.write(
          out.resolve("rounds.json"), TrainJson.write(doc).getBytes(StandardCharsets.UTF_8));
      AtomicFiles.write(
          out.resolve("chart.html"),
          Chart.html("Federated simulation: " + name, Map.of(name, results))
              .getBytes(StandardCharsets.UTF_8));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static String label(SimulationOptions o) {
    StringBuilder b = new StringBuilder(o.strategy().name()).append(' ').append(o.partition());
    if (o.secureAggregation()) {
      b.append(" secagg");
    }
    o.privacy()
        .ifPresent(
            p ->
                b.append(
                    String.format(
                        Locale.ROOT, " dp sigma=%s C=%s", p.noiseMultiplier(), p.clip())));
    if (o.dropout() > 0) {
      b.append(" dropout=").append(o.dropout());
    }
    return b.toString();
  }
}
