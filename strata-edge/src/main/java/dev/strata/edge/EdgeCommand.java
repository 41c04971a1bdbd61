package dev.strata.edge;

import dev.strata.serving.cli.DurationConverter;
import dev.strata.serving.cli.ServingOptions;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code strata edge}: runs the edge agent until stopped (Ctrl-C or SIGTERM). */
@Command(
    name = "edge",
    mixinStandardHelpOptions = true,
    description = {
      "Run the edge agent: serve the models the cloud deploys here, also when it is unreachable.",
      "",
      "Enrolls with the cloud (the token is needed once; the node's credential then lives in the"
          + " data directory), pulls and verifies the models deployed to this node, serves them"
          + " over the Open Inference Protocol (REST on --http-port, gRPC on --grpc-port), shares"
          + " the work with the cloud per deployment policy, and keeps serving from the data"
          + " directory without the cloud."
    })
public final class EdgeCommand implements Callable<Integer> {
  @Option(
      names = "--cloud",
      required = true,
      paramLabel = "URL",
      description = "The cloud, e.g. http://cloud:8080.")
  URI cloud;

  @Option(
      names = "--enroll-token",
      paramLabel = "TOKEN",
      defaultValue = "${env:STRATA_ENROLL_TOKEN}",
      description = "One-time enrollment token (or the STRATA_ENROLL_TOKEN environment variable).")
  String enrollToken;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description =
          "Where credentials, state, models and telemetry live (default: ~/.strata/edge).")
  Path dataDir;

  @Option(
      names = "--cloud-key",
      paramLabel = "BASE64",
      description =
          "The cloud's manifest-signing public key (base64 X.509, from GET"
              + " /api/v1/signing-key). Without it the key the cloud presents at enrollment is"
              + " pinned (trust on first use).")
  String cloudKey;

  @Option(
      names = "--cloud-inference",
      paramLabel = "URL",
      description = "Where the cloud serves /v2 for escalated requests (default: --cloud).")
  URI cloudInference;

  @Option(
      names = "--name",
      paramLabel = "NAME",
      description = "Node name (default: the host name).")
  String name;

  @Option(names = "--label", paramLabel = "KEY=VALUE", description = "A node label (repeatable).")
  Map<String, String> labels = Map.of();

  @Mixin ServingOptions listen = new ServingOptions(EdgeConfig.DEFAULT_SERVING);

  @Option(
      names = "--inference-auth",
      description =
          "Require Authorization: Bearer <token> on the inference API (not on health probes),"
              + " with a token listed in <data-dir>/inference-tokens; the first start creates the"
              + " file with one generated token.")
  boolean inferenceAuth;

  @Option(
      names = "--repository-api",
      description =
          "Allow the local repository API to load and unload models (REST POST"
              + " /v2/repository/models/<m>/load and /unload, gRPC RepositoryModelLoad/Unload)."
              + " Off by default: the edge changes its models only by the cloud's signed"
              + " deployments, and those calls answer 403. When on, a load still verifies the"
              + " size, digest and signature of the signed artifact, and every call is logged.")
  boolean repositoryApi;

  @Option(
      names = "--poll-interval",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "Heartbeat interval (default: as the cloud says, 10s until it has).")
  Duration pollInterval;

  @Option(
      names = "--cloud-timeout",
      paramLabel = "DURATION",
      defaultValue = "2s",
      converter = DurationConverter.class,
      description =
          "How long an escalated request waits for the cloud (default: ${DEFAULT-VALUE}).")
  Duration cloudTimeout;

  @Option(
      names = "--telemetry-interval",
      paramLabel = "DURATION",
      defaultValue = "10s",
      converter = DurationConverter.class,
      description =
          "Length of one telemetry interval: what the edge served is summed per interval, kept on"
              + " disk and reported to the cloud (default: ${DEFAULT-VALUE}).")
  Duration telemetryInterval;

  @Option(
      names = "--telemetry-buffer-mb",
      paramLabel = "MIB",
      defaultValue = "8",
      description = "Telemetry kept on disk while offline, in MiB (default: ${DEFAULT-VALUE}).")
  int telemetryBufferMb;

  @Option(
      names = "--train-data",
      paramLabel = "DIR",
      description =
          "Take part in federated learning with this node's own data (IDX files or class folders"
              + " of images, which never leave the node); needs the training module (DJL and"
              + " PyTorch) in the distribution.")
  Path trainData;

  /** The configuration these options describe. */
  EdgeConfig config() {
    EdgeConfig.Builder b =
        EdgeConfig.builder(cloud)
            .labels(labels)
            .serving(listen.config())
            .inferenceAuth(inferenceAuth)
            .repositoryApi(repositoryApi)
            .cloudTimeout(cloudTimeout)
            .telemetryInterval(telemetryInterval)
            .telemetryBufferBytes((long) telemetryBufferMb << 20);
    if (enrollToken != null && !enrollToken.isBlank()) {
      b.enrollToken(enrollToken.trim());
    }
    if (dataDir != null) {
      b.dataDir(dataDir);
    }
    if (cloudKey != null) {
      b.cloudKey(cloudKey.trim());
    }
    if (cloudInference != null) {
      b.cloudInference(cloudInference);
    }
    if (name != null) {
      b.nodeName(name);
    }
    if (pollInterval != null) {
      b.pollInterval(pollInterval);
    }
    if (trainData != null) {
      b.trainData(trainData);
    }
    return b.build();
  }

  @Override
  public Integer call() throws Exception {
    EdgeAgent agent = EdgeAgent.start(config());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  agent.close();
                  stopped.countDown();
                },
                "strata-edge-shutdown"));
    System.out.println(
        "strata edge: serving on http://"
            + listen.host()
            + ":"
            + agent.httpPort()
            + " (Ctrl-C stops)");
    stopped.await();
    return 0;
  }
}
