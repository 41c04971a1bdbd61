package dev.strata.federated.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.api.CloudApiClient;
import dev.strata.control.Json;
import dev.strata.core.StrataException;
import dev.strata.federated.job.JobSpec;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code strata federated start|status|stop}: federated jobs on a cloud. */
public final class JobCommands {
  private JobCommands() {}

  /** The cloud and its token. */
  public static final class CloudOptions {
    @Option(
        names = "--cloud",
        paramLabel = "URL",
        defaultValue = "http://127.0.0.1:8080",
        description = "The cloud (default: ${DEFAULT-VALUE}).")
    URI cloud;

    @Option(
        names = "--admin-token-file",
        paramLabel = "FILE",
        description = "File holding a token of a deployer or admin (or set STRATA_ADMIN_TOKEN).")
    Path tokenFile;

    CloudApiClient client() throws java.io.IOException {
      String token =
          tokenFile != null
              ? Files.readString(tokenFile, StandardCharsets.UTF_8).strip()
              : System.getenv().getOrDefault("STRATA_ADMIN_TOKEN", "").strip();
      if (token.isEmpty()) {
        throw StrataException.invalid(
            "the cloud's token: give --admin-token-file FILE or set STRATA_ADMIN_TOKEN");
      }
      return CloudApiClient.create(cloud, token);
    }
  }

  @Command(
      name = "start",
      mixinStandardHelpOptions = true,
      description = {
        "Start a federated job on the cloud: the nodes whose labels match --selector (and that run",
        "with --train-data) train the registered --model version --version on their own data;",
        "the result is registered as a new version with the variant 'federated'."
      })
  public static final class Start implements Callable<Integer> {
    @Mixin CloudOptions cloud;
    @Mixin StrategyOptions strategy;

    @Option(
        names = "--job-id",
        paramLabel = "ID",
        description = "The job's id (default: generated).")
    String id;

    @Option(names = "--model", required = true, description = "The registered model.")
    String model;

    @Option(names = "--version", required = true, description = "Its version to start from.")
    long version;

    @Option(
        names = "--variant",
        description = "Its ONNX variant (default: 'default' or the first ONNX one).")
    String variant;

    @Option(
        names = "--selector",
        defaultValue = "",
        description = "Node label selector, e.g. 'site=lab,train=yes' (default: every node).")
    String selector;

    @Option(
        names = "--rounds",
        defaultValue = "10",
        description = "Rounds (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(
        names = "--clients-per-round",
        defaultValue = "10",
        description = "Nodes per round (default: ${DEFAULT-VALUE}).")
    int perRound;

    @Option(
        names = "--min-clients",
        defaultValue = "2",
        description = "Fewest updates a round aggregates (default: ${DEFAULT-VALUE}).")
    int minClients;

    @Option(
        names = "--round-deadline",
        paramLabel = "SECONDS",
        defaultValue = "300",
        description = "Seconds the nodes of a round have to report (default: ${DEFAULT-VALUE}).")
    long deadline;

    @Option(
        names = "--local-epochs",
        defaultValue = "1",
        description = "Local epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(
        names = "--local-batch-size",
        defaultValue = "32",
        description = "Local batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(
        names = "--local-learning-rate",
        defaultValue = "0.02",
        description = "Local SGD learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(
        names = "--local-momentum",
        defaultValue = "0.9",
        description = "Local SGD momentum (default: ${DEFAULT-VALUE}).")
    double momentum;

    @Option(
        names = "--secure-aggregation",
        description = "The cloud sees only the sum of the updates.")
    boolean secure;

    @Option(
        names = "--clipping-range",
        defaultValue = "8",
        description = "Secure aggregation's per-element range (default: ${DEFAULT-VALUE}).")
    double range;

    @Option(
        names = "--dropout-tolerance",
        defaultValue = "0.3",
        description =
            "Share of a round's nodes that may drop after masking (default: ${DEFAULT-VALUE}).")
    double tolerance;

    @Option(
        names = "--dp-noise",
        paramLabel = "SIGMA",
        description = "Client-level DP noise multiplier (needs --clip and --dp-budget).")
    Double noise;

    @Option(
        names = "--clip",
        paramLabel = "C",
        description = "Client-level DP: L2 bound of an update.")
    Double clip;

    @Option(
        names = "--dp-budget",
        paramLabel = "EPS",
        description = "Client-level DP: epsilon (delta 1e-5) the job may spend.")
    Double budget;

    @Option(
        names = "--dp-warn-only",
        description = "Past the budget, warn and go on instead of stopping.")
    boolean warnOnly;

    @Override
    public Integer call() throws Exception {
      Optional<JobSpec.Privacy> dp = Optional.empty();
      if (noise != null || clip != null || budget != null) {
        if (noise == null || clip == null || budget == null) {
          throw StrataException.invalid(
              "differential privacy needs --dp-noise, --clip and --dp-budget together");
        }
        dp = Optional.of(new JobSpec.Privacy(noise, clip, budget, !warnOnly));
      }
      JobSpec spec =
          new JobSpec(
              model,
              Long.toString(version),
              selector,
              rounds,
              perRound,
              minClients,
              Duration.ofSeconds(deadline),
              new JobSpec.Local(epochs, batch, lr, momentum),
              strategy.spec(),
              secure,
              range,
              tolerance,
              dp);
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("id", id);
      body.put("variant", variant);
      body.put("spec", spec);
      try (CloudApiClient c = cloud.client()) {
        JsonNode s =
            read(
                c.exchange(
                        "POST", "/api/v1/federated/jobs", "application/json", Json.writeBytes(body))
                    .body());
        System.out.printf(
            Locale.ROOT,
            "federated job %s started: %d rounds of up to %d nodes matching '%s'%n",
            s.get("id").asText(),
            rounds,
            perRound,
            selector);
      }
      return 0;
    }
  }

  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = "Show federated jobs, or one job's rounds.")
  public static final class Status implements Callable<Integer> {
    @Mixin CloudOptions cloud;

    @Parameters(arity = "0..1", paramLabel = "JOB", description = "A job (default: list them all).")
    String job;

    @Option(names = "--json", description = "Print the cloud's JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      try (CloudApiClient c = cloud.client()) {
        if (job == null) {
          JsonNode all = read(c.exchange("GET", "/api/v1/federated/jobs", null, null).body());
          if (json) {
            System.out.println(all.toPrettyString());
            return 0;
          }
          for (JsonNode j : all.get("items")) {
            System.out.printf(
                Locale.ROOT,
                "%s  %s  round %d of %d  %s%n",
                j.get("id").asText(),
                j.get("state").asText().toLowerCase(Locale.ROOT),
                j.get("rounds").size(),
                j.get("spec").get("rounds").asInt(),
                j.get("spec").get("model").asText());
          }
          return 0;
        }
        JsonNode d = read(c.exchange("GET", "/api/v1/federated/jobs/" + job, null, null).body());
        if (json) {
          System.out.println(d.toPrettyString());
          return 0;
        }
        JsonNode s = d.get("job");
        System.out.printf(
            Locale.ROOT,
            "%s: %s, %s%s%n",
            s.get("id").asText(),
            s.get("state").asText().toLowerCase(Locale.ROOT),
            s.get("phase").asText().toLowerCase(Locale.ROOT),
            s.hasNonNull("reason") ? " (" + s.get("reason").asText() + ")" : "");
        for (JsonNode r : s.get("rounds")) {
          System.out.printf(
              Locale.ROOT,
              "round %d: %d updates of %d chosen (%d dropped, %d cut), train loss %.4f, held-out accuracy %.2f%%%s%n",
              r.get("round").asInt(),
              r.get("participants").asInt(),
              r.get("selected").asInt(),
              r.get("dropouts").asInt(),
              r.get("stragglers").asInt(),
              r.get("trainLoss").asDouble(),
              100 * r.get("evalAccuracy").asDouble(),
              r.get("epsilon").isNumber()
                  ? String.format(Locale.ROOT, ", epsilon %.3f", r.get("epsilon").asDouble())
                  : "");
        }
        JsonNode reg = d.get("registered");
        if (reg != null && reg.has("version")) {
          System.out.printf(
              Locale.ROOT,
              "registered: %s version %d, variant %s%n",
              reg.get("model").asText(),
              reg.get("version").asLong(),
              reg.get("variant").asText());
        }
      }
      return 0;
    }
  }

  @Command(
      name = "stop",
      mixinStandardHelpOptions = true,
      description = "Stop a federated job (its rounds so far are kept).")
  public static final class Stop implements Callable<Integer> {
    @Mixin CloudOptions cloud;

    @Parameters(paramLabel = "JOB", description = "The job.")
    String job;

    @Override
    public Integer call() throws Exception {
      try (CloudApiClient c = cloud.client()) {
        c.exchange(
            "POST", "/api/v1/federated/jobs/" + job + "/stop", "application/json", new byte[0]);
        System.out.println("federated job " + job + " stopped");
      }
      return 0;
    }
  }

  private static JsonNode read(byte[] body) throws java.io.IOException {
    return Json.mapper().readTree(body);
  }
}
