package dev.strata.cli.demo;

import static java.util.Objects.requireNonNull;

import dev.strata.api.CloudApiClient;
import dev.strata.api.DeploymentSpec;
import dev.strata.api.RolloutStrategy;
import dev.strata.api.Selector;
import dev.strata.api.Target;
import dev.strata.api.Variant;
import dev.strata.control.ConfidenceMeasure;
import dev.strata.control.HardExamplePolicy;
import dev.strata.control.InferencePolicy;
import dev.strata.edge.EdgeAgent;
import dev.strata.edge.calibrate.PromptSet;
import dev.strata.protocol.client.ClientConfig;
import dev.strata.protocol.client.StrataClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code strata demo}: a cloud and two edge agents in this process, the reference models registered
 * and deployed with a calibrated cascade, the held-out test images streamed through both edges and
 * measured down three paths. {@link #run} leaves everything serving; {@link #close} stops it.
 */
final class Demo implements AutoCloseable {
  static final String CLOUD_MODEL = "fashion-cnn";
  static final String CLOUD_VARIANT = "fp32";
  static final String EDGE_MODEL = "fashion-edge";
  static final String EDGE_VARIANT = "edge";
  static final String SELECTOR = "site in (a,b)";
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
  static final String CLOUD_LM = "tiny-lm-cloud";
  static final String EDGE_LM = "tiny-lm-edge";
  static final String LM_VARIANT = "q8_0";
  static final String INT8_VARIANT = "int8";
  static final String INT8_DEPLOYMENT = "fashion-cnn-int8-edge";

  /**
   * The language-model cascade's threshold: {@code strata calibrate --prompts
   * data/lm-prompts/kjv-calibration.jsonl --max-relative-loss 0.02} on the reference pair
   * (docs/models.md).
   */
  static final double LM_THRESHOLD = 0.054688;

  private final DemoConfig config;
  private final PrintWriter out;
  private final boolean terminal;
  private final Clock clock;
  private final List<AutoCloseable> opened = new ArrayList<>();
  private DemoCloud cloud;
  private DemoEdges edges;
  private int step;
  private long stepStarted;

  Demo(DemoConfig config, PrintWriter out, boolean terminal, Clock clock) {
    this.config = requireNonNull(config, "config");
    this.out = requireNonNull(out, "out");
    this.terminal = terminal;
    this.clock = requireNonNull(clock, "clock");
  }

  /** Runs every step up to the summary; the cloud and the edges keep serving afterwards. */
  DemoResult run() throws Exception {
    Files.createDirectories(config.dataDir());
    boolean firstRun = !Files.exists(config.cloudDir().resolve("registry.db"));
    out.printf(
        "strata demo: state in %s (%s)%n",
        config.dataDir().toAbsolutePath(), firstRun ? "new" : "reused from an earlier run");
    List<LabelledImage> images = ShippedImages.load(config.dataSetDir());
    ShippedImages.Split split = ShippedImages.split(images, config.seed());
    List<LabelledImage> measured =
        config.images() == 0 || config.images() >= split.evaluation().size()
            ? split.evaluation()
            : split.evaluation().subList(0, config.images());
    String token =
        config.adminToken().isPresent()
            ? config.adminToken().get()
            : AdminTokenFile.loadOrCreate(config.adminTokenFile(), new SecureRandom()).value();

    begin("starting the cloud (registry: SQLite in " + config.cloudDir() + ")");
    cloud = track(DemoCloud.start(config, token));
    CloudApiClient api = cloud.api();
    done("cloud API " + cloud.server().httpUri() + "/api/v1");

    begin("registering the reference models");
    ModelPublisher publisher = new ModelPublisher(api);
    ModelPublisher.Published cnn =
        publisher.publish(
            CLOUD_MODEL,
            CLOUD_VARIANT,
            config.modelsDir().resolve(Locations.CLOUD_MODEL_FILE),
            "Fashion-MNIST CNN, 104K parameters: the cloud model");
    ModelPublisher.Published small =
        publisher.publish(
            EDGE_MODEL,
            EDGE_VARIANT,
            config.modelsDir().resolve(Locations.EDGE_MODEL_FILE),
            "Fashion-MNIST CNN, 23K parameters: the edge model");
    done(describe(cnn) + ", " + describe(small));

    begin("deploying " + CLOUD_MODEL + " to the cloud");
    DemoCloud.Applied cloudDeployment =
        cloud.apply(
            CLOUD_MODEL, DeploymentSpec.cloud(CLOUD_MODEL, cnn.variant().version(), CLOUD_VARIANT));
    cloud.awaitServing(CLOUD_MODEL, cnn.variant().version(), clock);
    done(revision(cloudDeployment) + ", serving " + cloud.server().httpUri() + "/v2");

    StrataClient cloudInference =
        track(
            StrataClient.rest(
                ClientConfig.of("127.0.0.1", cloud.server().httpPort())
                    .withTimeout(REQUEST_TIMEOUT)));
    begin(
        "calibrating the cascade on "
            + split.calibration().size()
            + " test images (the other half is measured below)");
    CascadeCalibration calibration =
        calibrate(config.modelsDir().resolve(Locations.EDGE_MODEL_FILE), cloudInference, split);
    done(Report.calibration(calibration, config.target()));

    begin("starting two edge agents");
    Instant edgesStarted = clock.instant();
    List<EdgeSite> sites =
        List.of(
            new EdgeSite("demo-edge-a", Map.of("site", "a"), config.dataDir().resolve("edge-a")),
            new EdgeSite("demo-edge-b", Map.of("site", "b"), config.dataDir().resolve("edge-b")));
    edges = track(DemoEdges.start(sites, api, cloud.server().httpUri()));
    done(Report.edges(edges));

    begin("deploying " + EDGE_MODEL + " to both edges with the calibrated cascade");
    DemoCloud.Applied edgeDeployment =
        cloud.apply(
            EDGE_MODEL,
            edgeSpec(EDGE_MODEL, small.variant().version(), EDGE_VARIANT, calibration.policy()));
    edges.awaitDeployed(
        api, EDGE_MODEL, EDGE_MODEL, edgeDeployment.revision(), edgesStarted, clock);
    done(revision(edgeDeployment) + ", READY on both");

    int warmup = Math.min(config.warmup(), split.calibration().size());
    begin(
        String.format(
            Locale.ROOT,
            "streaming %d held-out images through both edges, %d client%s at a time (after %d"
                + " warm-up images)",
            measured.size(),
            config.concurrency(),
            config.concurrency() == 1 ? "" : "s",
            warmup));
    List<Observation> observations =
        stream(EDGE_MODEL, cloudInference, split.calibration().subList(0, warmup), measured);
    DemoSummary int8Summary = null;
    if (config.int8Edge()) {
      int8Summary = int8Edge(cnn, api, cloudInference, split, measured, warmup);
    }
    List<LanguageModelStep.Row> lmRows = List.of();
    if (config.prompts() > 0) {
      lmRows = languageModels(publisher, api);
    }
    DemoResult result =
        new DemoResult(firstRun, calibration, DemoSummary.of(observations), observations);
    ResultsFile.write(config.dataDir().resolve("results.json"), result, int8Summary);
    Samples.write(config.samplesDir(), split.evaluation(), small.variant().labels());

    out.println();
    out.printf(
        Locale.ROOT,
        "Results on %d held-out test images (not the %d the threshold was calibrated on);%n"
            + "latency as the client sees it, over HTTP on loopback, %d client%s at a time on a"
            + " %d-CPU machine:%n%n",
        measured.size(),
        calibration.images(),
        config.concurrency(),
        config.concurrency() == 1 ? "" : "s",
        Runtime.getRuntime().availableProcessors());
    out.print(SummaryTable.format(result.summary(), EDGE_MODEL, CLOUD_MODEL));
    if (int8Summary != null) {
      out.printf(
          Locale.ROOT,
          "%nThe same images with the int8 variant of %s on the edges (its own calibrated"
              + " cascade):%n%n",
          CLOUD_MODEL);
      out.print(SummaryTable.format(int8Summary, CLOUD_MODEL + " int8", CLOUD_MODEL));
      out.printf("%nBoth edge variants side by side:%n%n");
      out.print(
          SummaryTable.sideBySide(
              List.of(EDGE_MODEL + " (trained for the edge)", CLOUD_MODEL + " int8 (quantized)"),
              List.of(result.summary(), int8Summary)));
    }
    if (!lmRows.isEmpty()) {
      out.printf(
          Locale.ROOT,
          "%nLanguage models on %d held-out KJV passages (greedy continuation of 24 words, word"
              + " accuracy over the next %d; streamed, one client; the cascade's threshold %.4f"
              + " on the agreement of %d sampled continuations):%n%n",
          lmRows.getFirst().prompts(),
          LanguageModelStep.WORDS,
          LM_THRESHOLD,
          dev.strata.llm.generate.SampledAgreement.SAMPLES);
      out.print(LanguageModelStep.table(lmRows, EDGE_LM, CLOUD_LM));
    }
    out.flush();
    return result;
  }

  /**
   * The int8 steps: the cloud model quantized by {@code strata compress quantize} (static,
   * calibrated on the training part of the data set, refused past a 1-point drop on its test part),
   * registered as variant {@value #INT8_VARIANT} of the cloud model's version, its cascade
   * calibrated on the same images as the edge model's, deployed to both edges in place of the edge
   * model, and the same held-out images streamed again.
   */
  private DemoSummary int8Edge(
      ModelPublisher.Published cnn,
      CloudApiClient api,
      StrataClient cloudInference,
      ShippedImages.Split split,
      List<LabelledImage> measured,
      int warmup)
      throws Exception {
    long version = cnn.variant().version();
    begin("quantizing " + CLOUD_MODEL + " to int8 and registering it as variant " + INT8_VARIANT);
    // not in the work directory: calibration empties that
    Path int8 = config.dataDir().resolve(INT8_VARIANT).resolve(CLOUD_MODEL + "-int8.onnx");
    Files.createDirectories(int8.getParent());
    java.io.StringWriter log = new java.io.StringWriter();
    picocli.CommandLine quantize =
        new picocli.CommandLine(new dev.strata.compress.cli.CompressCommand());
    quantize.setOut(new PrintWriter(log));
    quantize.setErr(new PrintWriter(log));
    int exit =
        quantize.execute(
            "quantize",
            "--model",
            config.modelsDir().resolve(Locations.CLOUD_MODEL_FILE).toString(),
            "--out",
            int8.toString(),
            "--method",
            "static",
            "--calibration",
            config.dataSetDir().toString(),
            "--calibration-size",
            "256",
            "--per-channel",
            "--eval",
            config.dataSetDir().toString(),
            "--max-accuracy-drop",
            "1");
    if (exit != 0) {
      throw new IllegalStateException("strata compress quantize failed:\n" + log);
    }
    String sha = CloudApiClient.sha256(int8);
    Optional<Variant> existing =
        api.version(CLOUD_MODEL, version).variants().stream()
            .filter(v -> v.name().equals(INT8_VARIANT))
            .findFirst();
    String registered;
    if (existing.isPresent()) {
      registered =
          existing.get().sha256().equals(sha)
              ? "registered before"
              : "registered before"
                  + " from another run (sha256 "
                  + existing.get().sha256().substring(0, 12)
                  + "; the edges get that one)";
    } else {
      api.uploadArtifact(int8, sha);
      dev.strata.api.CreateVariantRequest r =
          ModelPublisher.variantRequest(INT8_VARIANT, sha, int8);
      Map<String, String> provenance = new java.util.LinkedHashMap<>(r.provenance());
      provenance.put("compression", "quantize");
      provenance.put("method", "static");
      provenance.put("calibrate", "minmax");
      provenance.put("parent_sha256", cnn.variant().sha256());
      api.addVariant(
          CLOUD_MODEL,
          version,
          new dev.strata.api.CreateVariantRequest(
              r.name(),
              r.format(),
              r.sha256(),
              r.signature(),
              r.labels(),
              r.metrics(),
              provenance,
              r.tags()));
      registered = "new, sha256 " + sha.substring(0, 12);
    }
    String summary =
        log.toString()
            .lines()
            .filter(l -> l.startsWith("size:") || l.startsWith("accuracy"))
            .map(l -> l.replaceAll(" on .*?:", ":"))
            .reduce((a, b) -> a + "; " + b)
            .orElse("");
    done(CLOUD_MODEL + " v" + version + " " + INT8_VARIANT + " (" + registered + "): " + summary);

    begin(
        "calibrating the int8 model's cascade and deploying it to both edges beside " + EDGE_MODEL);
    CascadeCalibration calibration = calibrate(int8, cloudInference, split);
    Instant since = clock.instant();
    DemoCloud.Applied applied =
        cloud.apply(
            INT8_DEPLOYMENT, edgeSpec(CLOUD_MODEL, version, INT8_VARIANT, calibration.policy()));
    edges.awaitDeployed(api, INT8_DEPLOYMENT, CLOUD_MODEL, applied.revision(), since, clock);
    done(
        Report.calibration(calibration, config.target())
            + "; "
            + revision(applied)
            + ", READY on both");

    begin("streaming the same " + measured.size() + " held-out images through the int8 edges");
    List<Observation> observations =
        stream(CLOUD_MODEL, cloudInference, split.calibration().subList(0, warmup), measured);
    return DemoSummary.of(observations);
  }

  /** Steps 8 and 9: the tiny language models as an edge-first cascade, measured. */
  private List<LanguageModelStep.Row> languageModels(ModelPublisher publisher, CloudApiClient api)
      throws Exception {
    begin(
        "deploying the language models: "
            + CLOUD_LM
            + " to the cloud, "
            + EDGE_LM
            + " to both edges as an edge-first cascade");
    ModelPublisher.Published big =
        publisher.publish(
            CLOUD_LM,
            LM_VARIANT,
            config.modelsDir().resolve(CLOUD_LM).resolve("model.gguf"),
            "llama-architecture LM, 10.2M parameters, trained by strata train on the KJV");
    ModelPublisher.Published small =
        publisher.publish(
            EDGE_LM,
            LM_VARIANT,
            config.modelsDir().resolve(EDGE_LM).resolve("model.gguf"),
            "llama-architecture LM, 1.0M parameters, trained by strata train on the KJV");
    DemoCloud.Applied cloudLm =
        cloud.apply(CLOUD_LM, DeploymentSpec.cloud(CLOUD_LM, big.variant().version(), LM_VARIANT));
    cloud.awaitServing(CLOUD_LM, big.variant().version(), clock);
    Instant since = clock.instant();
    DemoCloud.Applied edgeLm =
        cloud.apply(
            EDGE_LM,
            edgeSpec(
                EDGE_LM,
                small.variant().version(),
                LM_VARIANT,
                new InferencePolicy.Cascade(
                    ConfidenceMeasure.AGREEMENT, LM_THRESHOLD, Optional.of(CLOUD_LM))));
    edges.awaitDeployed(api, EDGE_LM, EDGE_LM, edgeLm.revision(), since, clock);
    done(
        describe(big)
            + " ("
            + revision(cloudLm)
            + "), "
            + describe(small)
            + " ("
            + revision(edgeLm)
            + String.format(Locale.ROOT, ", agreement threshold %.4f)", LM_THRESHOLD));

    PromptSet prompts = PromptSet.read(config.promptsFile()).limit(config.prompts());
    begin(
        "streaming "
            + prompts.size()
            + " held-out prompts through both edges (cascade, edge only) and the cloud");
    List<URI> edgeUris = new ArrayList<>();
    for (EdgeAgent a : edges.agents()) {
      edgeUris.add(URI.create("http://127.0.0.1:" + a.httpPort()));
    }
    List<LanguageModelStep.Row> rows =
        new LanguageModelStep().run(edgeUris, cloud.server().httpUri(), EDGE_LM, CLOUD_LM, prompts);
    done(3 * prompts.size() + " completions streamed");
    return rows;
  }

  /** The URLs and files a user can try, once {@link #run} returned. */
  void printEndpoints(boolean keepsRunning) {
    out.println();
    out.print(
        Report.endpoints(
            cloud.server(),
            edges,
            config.adminToken().isPresent() ? null : config.adminTokenFile(),
            config.dataDir(),
            config.samplesDir(),
            keepsRunning));
    out.flush();
  }

  /**
   * The images down the three paths (the edge model alone, the cloud alone, the cascade) after the
   * warm-up ones, with progress; ends the current step.
   */
  private List<Observation> stream(
      String edgeModel,
      StrataClient cloudInference,
      List<LabelledImage> warmup,
      List<LabelledImage> measured)
      throws Exception {
    Streamer streamer =
        new Streamer(
            edges.clients(),
            cloudInference,
            edgeModel,
            CLOUD_MODEL,
            config.concurrency(),
            REQUEST_TIMEOUT,
            System::nanoTime);
    streamer.run(warmup, () -> {});
    Progress progress = new Progress(out, terminal, "images", measured.size(), clock);
    List<Observation> observations = streamer.run(measured, progress::advance);
    done(3 * measured.size() + " requests answered");
    return observations;
  }

  /** The cascade's threshold for this edge model, on the calibration half of the test images. */
  private CascadeCalibration calibrate(
      Path edgeModel, StrataClient cloudInference, ShippedImages.Split split) throws IOException {
    return CascadeCalibration.run(
        edgeModel,
        cloudInference,
        CLOUD_MODEL,
        split.calibration(),
        config.measure(),
        config.target(),
        config.workDir());
  }

  /** A deployment of this variant to both edges, all at once, with this policy. */
  private static DeploymentSpec edgeSpec(
      String model, long version, String variant, InferencePolicy policy) {
    return new DeploymentSpec(
        model,
        version,
        variant,
        Target.EDGE,
        Selector.parse(SELECTOR),
        RolloutStrategy.ALL_AT_ONCE,
        policy,
        HardExamplePolicy.DISABLED);
  }

  private static String describe(ModelPublisher.Published p) {
    Variant v = p.variant();
    return String.format(
        Locale.ROOT,
        "%s v%d %s (%s)",
        v.model(),
        v.version(),
        v.name(),
        p.reused() ? "registered before" : "new, sha256 " + v.sha256().substring(0, 12));
  }

  private static String revision(DemoCloud.Applied a) {
    return "revision " + a.revision() + (a.changed() ? "" : " (unchanged)");
  }

  private void begin(String what) {
    step++;
    stepStarted = clock.millis();
    int steps = 7 + (config.int8Edge() ? 3 : 0) + (config.prompts() > 0 ? 2 : 0);
    out.printf("[%d/%d] %s%n", step, steps, what);
    out.flush();
  }

  private void done(String what) {
    out.printf(Locale.ROOT, "      %s (%.1f s)%n", what, (clock.millis() - stepStarted) / 1000.0);
    out.flush();
  }

  private <T extends AutoCloseable> T track(T resource) {
    opened.add(resource);
    return resource;
  }

  /** Stops the edges, then the cloud; each drains its in-flight requests. */
  @Override
  public synchronized void close() {
    RuntimeException failure = null;
    for (AutoCloseable c : opened.reversed()) {
      try {
        c.close();
      } catch (Exception e) {
        if (failure == null) {
          failure = new IllegalStateException("while stopping the demo: " + e.getMessage(), e);
        }
      }
    }
    opened.clear();
    if (failure != null) {
      throw failure;
    }
  }

  static Path dataDirDefault() {
    return Path.of(System.getProperty("user.home"), ".strata", "demo");
  }
}
