package dev.strata.cloud;

import static java.util.Objects.requireNonNull;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.strata.api.CreateVariantRequest;
import dev.strata.api.CreateVersionRequest;
import dev.strata.api.ModelVersion;
import dev.strata.api.Node;
import dev.strata.api.Selector;
import dev.strata.api.Variant;
import dev.strata.control.Json;
import dev.strata.core.AtomicFiles;
import dev.strata.core.StrataException;
import dev.strata.federated.job.FileJobStore;
import dev.strata.federated.job.JobCoordinator;
import dev.strata.federated.job.JobSpec;
import dev.strata.federated.job.OnnxParameters;
import dev.strata.federated.job.RoundSummary;
import dev.strata.federated.job.Task;
import dev.strata.onnx.OnnxModels;
import dev.strata.registry.Registry;
import dev.strata.registry.artifact.ArtifactContent;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cloud's federated jobs: each a {@link JobCoordinator} over the nodes whose labels match its
 * selector, kept in {@code <data>/federated} so that jobs resume after a restart. A job starts from
 * a registered version's ONNX variant; when it completes, its final model is registered as a new
 * version of the same model with the variant {@code federated}, ready for the normal deployment
 * path.
 */
final class FederatedJobs implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FederatedJobs.class);
  static final String VARIANT = "federated";

  /** How recently a node must have polled to be counted present: a few of its polls. */
  static final Duration AVAILABILITY = Duration.ofSeconds(15);

  private final Registry registry;
  private final Path dir;
  private final Clock clock;
  private final FileJobStore store;
  private final Map<String, JobCoordinator> jobs = new ConcurrentHashMap<>();
  private final ScheduledExecutorService ticker;

  /**
   * The request of {@code POST /api/v1/federated/jobs}: an optional id, the variant and the spec.
   */
  record CreateRequest(String id, String variant, JobSpec spec) {}

  FederatedJobs(Registry registry, Path dir, Clock clock) {
    this.registry = requireNonNull(registry, "registry");
    this.dir = requireNonNull(dir, "dir");
    this.clock = requireNonNull(clock, "clock");
    this.store = new FileJobStore(dir);
    for (String id : store.jobs()) {
      try {
        JobCoordinator c =
            open(
                id,
                store.load(id).orElseThrow().spec(),
                new float[0],
                statisticsOf(dir.resolve(id).resolve("start.onnx")));
        jobs.put(id, c);
        if (c.state() == JobCoordinator.State.COMPLETED
            && !Files.exists(dir.resolve(id).resolve("registered.json"))) {
          register(c);
        }
      } catch (RuntimeException e) {
        LOG.error("federated job {}: cannot resume", id, e);
      }
    }
    this.ticker =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().name("strata-federated").daemon(true).unstarted(r));
    ticker.scheduleWithFixedDelay(this::tick, 1, 1, TimeUnit.SECONDS);
  }

  JobCoordinator.Status create(CreateRequest request) {
    if (request.spec() == null) {
      throw StrataException.invalid(
          "spec: missing (expected: {id?, variant?, spec: {model, version, rounds, ...}}, see docs/api.md)");
    }
    JobSpec spec = request.spec();
    String id =
        request.id() == null || request.id().isBlank()
            ? "job-" + HexFormat.of().formatHex(new SecureRandom().generateSeed(4))
            : request.id();
    if (jobs.containsKey(id) || store.load(id).isPresent()) {
      throw new StrataException(
          dev.strata.core.ErrorCode.ALREADY_EXISTS, "federated job " + id + ": already exists");
    }
    Selector.parse(spec.selector());
    Variant start =
        startVariant(spec, Optional.ofNullable(request.variant()).filter(s -> !s.isBlank()));
    byte[] onnx = artifact(start.sha256());
    ModelProto model = parse(onnx, start);
    float[] initial = OnnxParameters.read(model);
    try {
      Path jobDir = dir.resolve(id);
      Files.createDirectories(jobDir);
      AtomicFiles.write(jobDir.resolve("start.onnx"), onnx);
      AtomicFiles.write(jobDir.resolve("start.json"), Json.writeBytes(start));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create federated job " + id, e);
    }
    JobCoordinator c =
        open(id, spec, initial, OnnxParameters.statistics(OnnxParameters.layout(model)));
    jobs.put(id, c);
    LOG.info(
        "federated job {}: {} rounds from {} version {} ({} parameters)",
        id,
        spec.rounds(),
        spec.model(),
        spec.version(),
        initial.length);
    return c.status();
  }

  List<JobCoordinator.Status> list() {
    List<JobCoordinator.Status> out = new ArrayList<>();
    jobs.values().forEach(j -> out.add(j.status()));
    out.sort((a, b) -> a.id().compareTo(b.id()));
    return out;
  }

  JobCoordinator job(String id) {
    JobCoordinator j = jobs.get(id);
    if (j == null) {
      throw StrataException.notFound("federated job %s: not found", id);
    }
    return j;
  }

  /** The start model's ONNX bytes, for the job's nodes. */
  byte[] startModel(String id) {
    job(id);
    try {
      return Files.readAllBytes(dir.resolve(id).resolve("start.onnx"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The next task of a node among the running jobs whose selector its labels match. */
  Optional<Task> task(String nodeId) {
    Node node = registry.fleet().node(nodeId);
    for (JobCoordinator j : jobs.values()) {
      if (j.state() != JobCoordinator.State.RUNNING) {
        continue;
      }
      if (!Selector.parse(j.spec().selector()).matches(node.labels())) {
        continue;
      }
      Optional<Task> t = j.poll(nodeId);
      if (t.isPresent()) {
        return t;
      }
    }
    return Optional.empty();
  }

  /** A node's access to a job: its labels must match the job's selector. */
  JobCoordinator forNode(String id, String nodeId) {
    JobCoordinator j = job(id);
    if (!Selector.parse(j.spec().selector()).matches(registry.fleet().node(nodeId).labels())) {
      throw new StrataException(
          dev.strata.core.ErrorCode.PERMISSION_DENIED,
          "federated job " + id + ": this node is not selected by it");
    }
    return j;
  }

  private static java.util.BitSet statisticsOf(Path startModel) {
    try {
      return OnnxParameters.statistics(
          OnnxParameters.layout(ModelProto.parseFrom(Files.readAllBytes(startModel))));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + startModel, e);
    }
  }

  private JobCoordinator open(
      String id, JobSpec spec, float[] initial, java.util.BitSet statistics) {
    JobCoordinator c =
        new JobCoordinator(
            id,
            spec,
            initial,
            statistics,
            store,
            clock,
            AVAILABILITY,
            new SecureRandom().nextLong());
    c.onComplete(() -> register(c));
    return c;
  }

  private void tick() {
    for (JobCoordinator j : jobs.values()) {
      try {
        j.tick();
      } catch (RuntimeException e) {
        LOG.error("federated job {}: tick failed", j.id(), e);
      }
    }
  }

  /** Registers the final model as a new version with the variant {@code federated}. */
  private void register(JobCoordinator c) {
    JobCoordinator.Status s = c.status();
    float[] result = c.result().orElseThrow();
    Variant start = Json.read(read(dir.resolve(c.id()).resolve("start.json")), Variant.class);
    ModelProto model = parse(startModel(c.id()), start);
    Map<String, String> provenance = new LinkedHashMap<>();
    provenance.put("job", c.id());
    provenance.put("parent", start.model() + ":" + start.version() + ":" + start.name());
    provenance.put("rounds", Integer.toString(s.rounds().size()));
    provenance.put("strategy", s.spec().strategy().name());
    provenance.put("secure_aggregation", Boolean.toString(s.spec().secureAggregation()));
    if (!Double.isNaN(s.epsilon())) {
      provenance.put("epsilon", String.format(Locale.ROOT, "%.4f", s.epsilon()));
    }
    ModelProto out =
        OnnxModels.withMetadata(
            OnnxParameters.write(model, result),
            Map.of("strata.federated", Json.write(provenance)));
    byte[] bytes = out.toByteArray();
    var models = registry.models();
    var artifact = models.uploadArtifact(new ByteArrayInputStream(bytes), Optional.empty());
    ModelVersion v =
        models.createVersion(
            start.model(),
            new CreateVersionRequest(
                "federated job " + c.id() + " from version " + start.version(),
                Map.of("federated.job", c.id())));
    Map<String, Double> metrics = new LinkedHashMap<>();
    if (!s.rounds().isEmpty()) {
      RoundSummary last = s.rounds().getLast();
      if (Double.isFinite(last.evalAccuracy())) {
        metrics.put("federated_eval_accuracy", last.evalAccuracy());
      }
    }
    models.addVariant(
        start.model(),
        v.version(),
        new CreateVariantRequest(
            VARIANT,
            start.format(),
            artifact.sha256(),
            start.signature(),
            start.labels(),
            metrics,
            provenance,
            Map.of()));
    try {
      AtomicFiles.write(
          dir.resolve(c.id()).resolve("registered.json"),
          Json.writeBytes(
              Map.of("model", start.model(), "version", v.version(), "variant", VARIANT)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    LOG.info(
        "federated job {}: registered {} version {} (variant {})",
        c.id(),
        start.model(),
        v.version(),
        VARIANT);
  }

  /** Where a completed job's model was registered, if it was. */
  Optional<Map<String, Object>> registered(String id) {
    Path f = dir.resolve(id).resolve("registered.json");
    if (!Files.exists(f)) {
      return Optional.empty();
    }
    return Optional.of(
        Json.read(
            read(f), new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() {}));
  }

  private Variant startVariant(JobSpec spec, Optional<String> variant) {
    long version;
    try {
      version = Long.parseLong(spec.version());
    } catch (NumberFormatException e) {
      throw StrataException.invalid("version: '%s' (expected: a version number)", spec.version());
    }
    ModelVersion v = registry.models().version(spec.model(), version);
    List<Variant> onnx = v.variants().stream().filter(x -> x.format().equals("onnx")).toList();
    if (variant.isPresent()) {
      return onnx.stream()
          .filter(x -> x.name().equals(variant.get()))
          .findFirst()
          .orElseThrow(
              () ->
                  StrataException.notFound(
                      "%s version %d: no ONNX variant %s", spec.model(), version, variant.get()));
    }
    if (onnx.isEmpty()) {
      throw StrataException.invalid(
          "%s version %d: no ONNX variant (expected: a model exported by strata train)",
          spec.model(), version);
    }
    return onnx.stream()
        .filter(x -> x.name().equals("default"))
        .findFirst()
        .orElse(onnx.getFirst());
  }

  private byte[] artifact(String sha256) {
    var a = registry.models().artifact(sha256);
    try (ArtifactContent c = registry.models().openArtifact(sha256, 0, a.size());
        InputStream in = c.stream()) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static ModelProto parse(byte[] onnx, Variant v) {
    try {
      return ModelProto.parseFrom(onnx);
    } catch (IOException e) {
      throw StrataException.invalid(
          "%s version %d variant %s: not an ONNX model (%s)",
          v.model(), v.version(), v.name(), e.getMessage());
    }
  }

  private static String read(Path f) {
    try {
      return Files.readString(f);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    ticker.shutdownNow();
  }
}
