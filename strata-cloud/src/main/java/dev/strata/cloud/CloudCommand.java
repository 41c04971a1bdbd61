package dev.strata.cloud;

import dev.strata.core.StrataException;
import dev.strata.registry.db.DatabaseConfig;
import dev.strata.registry.telemetry.TelemetrySettings;
import dev.strata.serving.TlsConfig;
import dev.strata.serving.cli.DurationConverter;
import dev.strata.serving.cli.ServingOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code strata cloud}: runs the cloud until Ctrl-C. */
@Command(
    name = "cloud",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Run the Strata cloud: the model registry, fleet and deployment API under /api/v1",
      "(documented at GET /api/v1), and the Open Inference Protocol (REST /v2 and gRPC) for",
      "the models deployed to the cloud. Prints its URLs, the manifest-signing public key",
      "edges need, and on the first start of a data directory the generated admin token (shown",
      "once: only its hash is kept). Ctrl-C shuts down gracefully.",
      ""
    })
public final class CloudCommand implements Callable<Integer> {
  @Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description =
          "Where the cloud keeps its database, artifacts and models (default: ~/.strata/cloud).")
  Path dataDir;

  @Mixin ServingOptions listen = new ServingOptions(CloudConfig.defaults().serving());

  @Option(
      names = "--database-url",
      paramLabel = "URL",
      description = {
        "Registry database: jdbc:postgresql://host:5432/db or jdbc:sqlite:FILE",
        "(default: SQLite in the data directory)."
      })
  String databaseUrl;

  @Option(names = "--database-user", paramLabel = "USER", description = "Database user.")
  String databaseUser;

  @Option(
      names = "--database-password-file",
      paramLabel = "FILE",
      description =
          "File holding the database password (or set STRATA_DATABASE_PASSWORD); never logged.")
  Path databasePasswordFile;

  @Option(
      names = "--database-schema",
      paramLabel = "NAME",
      description = "PostgreSQL schema to use (created when missing).")
  String databaseSchema;

  @Option(
      names = "--admin-token-file",
      paramLabel = "FILE",
      description = {
        "File holding the admin token (or set STRATA_ADMIN_TOKEN; at least 16 characters).",
        "Without one the cloud generates a token on its first start and prints it once."
      })
  Path adminTokenFile;

  @Option(
      names = "--inference-auth",
      description = {
        "Require a bearer token on /v2 and gRPC inference: an API key, the admin token or a",
        "node credential (health checks stay open)."
      })
  boolean inferenceAuth;

  @Option(
      names = "--tls-cert",
      paramLabel = "PEM",
      description = "Certificate chain (PEM): serve HTTPS and gRPC over TLS. Needs --tls-key.")
  Path tlsCert;

  @Option(
      names = "--tls-key",
      paramLabel = "PEM",
      description = "Private key of --tls-cert (unencrypted PKCS#8 PEM).")
  Path tlsKey;

  @Option(
      names = "--max-artifact-mb",
      defaultValue = "4096",
      description = "Largest artifact upload in MiB (default: ${DEFAULT-VALUE}).")
  long maxArtifactMb;

  @Option(
      names = "--api-threads",
      defaultValue = "16",
      description = "Threads serving management API calls (default: ${DEFAULT-VALUE}).")
  int apiThreads;

  @Option(
      names = "--telemetry-retention",
      paramLabel = "DURATION",
      defaultValue = "168h",
      converter = DurationConverter.class,
      description =
          "How long the telemetry edge nodes report is kept, from its receipt (default:"
              + " ${DEFAULT-VALUE}).")
  Duration telemetryRetention;

  /** The configuration these options describe. */
  CloudConfig config() throws IOException {
    CloudConfig.Builder b =
        CloudConfig.builder(dataDir != null ? dataDir : CloudConfig.defaultDataDir())
            .serving(listen.config())
            .inferenceAuth(inferenceAuth)
            .maxArtifactBytes(Math.multiplyExact(maxArtifactMb, 1024L * 1024))
            .apiThreads(apiThreads)
            .telemetry(
                new TelemetrySettings(
                    telemetryRetention, TelemetrySettings.DEFAULTS.pruneInterval()));
    if (databaseUrl != null) {
      Optional<String> password =
          secret(databasePasswordFile, "STRATA_DATABASE_PASSWORD", "--database-password-file");
      DatabaseConfig db = DatabaseConfig.of(databaseUrl);
      db =
          new DatabaseConfig(
              db.url(),
              Optional.ofNullable(databaseUser),
              password,
              Optional.ofNullable(databaseSchema),
              db.maxPoolSize(),
              db.busyTimeout());
      b.database(db);
    } else if (databaseUser != null || databaseSchema != null || databasePasswordFile != null) {
      throw new IllegalArgumentException(
          "--database-user, --database-password-file and --database-schema need --database-url");
    }
    secret(adminTokenFile, "STRATA_ADMIN_TOKEN", "--admin-token-file").ifPresent(b::adminToken);
    if ((tlsCert == null) != (tlsKey == null)) {
      throw new IllegalArgumentException("--tls-cert and --tls-key go together");
    }
    if (tlsCert != null) {
      b.tls(new TlsConfig(tlsCert, tlsKey));
    }
    return b.build();
  }

  private static Optional<String> secret(Path file, String env, String option) throws IOException {
    if (file != null) {
      if (!Files.isReadable(file)) {
        throw new IllegalArgumentException(option + ": " + file + " is not a readable file");
      }
      String v = Files.readString(file, StandardCharsets.UTF_8).strip();
      if (v.isEmpty()) {
        throw new IllegalArgumentException(option + ": " + file + " is empty");
      }
      return Optional.of(v);
    }
    String v = System.getenv(env);
    return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.strip());
  }

  @Override
  public Integer call() throws Exception {
    CloudConfig config = config();
    PrintWriter out = spec.commandLine().getOut();
    CloudServer cloud = CloudServer.start(config);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  cloud.close();
                  stopped.countDown();
                },
                "strata-cloud-shutdown"));
    String base = cloud.httpUri().toString();
    out.println("strata cloud: ready (data in " + config.dataDir().toAbsolutePath() + ")");
    out.println("  management API  " + base + "/api/v1   (description: GET " + base + "/api/v1)");
    out.println(
        "  inference       "
            + base
            + "/v2"
            + (cloud.grpcPort().isPresent()
                ? ", gRPC " + config.host() + ":" + cloud.grpcPort().getAsInt()
                : "")
            + (config.inferenceAuth() ? " (bearer token required)" : ""));
    out.println(
        "  manifest key    "
            + cloud.manifestPublicKey()
            + " (Ed25519, id "
            + cloud.manifestKeyId()
            + ")");
    cloud
        .generatedAdminToken()
        .ifPresent(
            t -> {
              out.println("  admin token     " + t);
              out.println(
                  "                  shown only now: store it (the cloud keeps only its hash)");
            });
    out.println("Ctrl-C stops.");
    out.flush();
    stopped.await();
    return 0;
  }

  /** Runs {@code strata cloud} on its own (the {@code strata} command registers it too). */
  public static void main(String[] args) {
    CommandLine cli = new CommandLine(new CloudCommand());
    cli.setExecutionExceptionHandler(
        (e, c, parseResult) -> {
          if (e instanceof StrataException s) {
            c.getErr().println("strata cloud: " + s.getMessage() + " (" + s.code() + ")");
            return 1;
          }
          if (e instanceof IllegalArgumentException || e instanceof IOException) {
            c.getErr().println("strata cloud: " + e.getMessage());
            return 2;
          }
          throw e;
        });
    System.exit(cli.execute(args));
  }
}
