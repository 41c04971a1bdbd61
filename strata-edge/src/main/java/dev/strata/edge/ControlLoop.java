package dev.strata.edge;

import dev.strata.api.CloudApiClient;
import dev.strata.control.EnrollRequest;
import dev.strata.control.Enrollment;
import dev.strata.control.Heartbeat;
import dev.strata.control.HeartbeatResponse;
import dev.strata.control.PublicKeys;
import dev.strata.control.TelemetryRecord;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.core.StrataVersion;
import dev.strata.runtime.install.Backoff;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's conversation with the cloud, on its own thread: enroll once, then every interval a
 * heartbeat (state, health, load, counters and buffered telemetry) and, when the cloud's ETag
 * differs from the desired state in hand, a conditional fetch of the new one for the {@link
 * Reconciler}. Telemetry intervals are closed on a fixed rate whatever the cloud does. Any failure
 * waits with exponential backoff and jitter; nothing here ever stops the agent from serving.
 */
final class ControlLoop implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ControlLoop.class);
  private static final int TELEMETRY_PER_HEARTBEAT = 64;
  private static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);
  private static final Duration DRAIN_INTERVAL = Duration.ofMillis(100);

  private final EdgeConfig config;
  private final CloudApiClient api;
  private final IdentityHolder identity;
  private final Reconciler reconciler;
  private final TelemetryCollector telemetry;
  private final CollaborativeInferenceService service;
  private final SystemStats system = new SystemStats();
  private final Backoff backoff;
  private final ScheduledExecutorService thread;
  private volatile Duration cloudInterval = DEFAULT_INTERVAL;
  private volatile boolean closing;
  private volatile boolean connected;
  private volatile Optional<Instant> lastContact = Optional.empty();
  private volatile Optional<String> lastError = Optional.empty();

  ControlLoop(
      EdgeConfig config,
      CloudApiClient api,
      IdentityHolder identity,
      Reconciler reconciler,
      TelemetryCollector telemetry,
      CollaborativeInferenceService service,
      Backoff backoff) {
    this.config = config;
    this.api = api;
    this.identity = identity;
    this.reconciler = reconciler;
    this.telemetry = telemetry;
    this.service = service;
    this.backoff = backoff;
    this.thread =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().name("strata-edge-control").daemon(true).unstarted(r));
  }

  void start() {
    long every = config.telemetryInterval().toNanos();
    thread.scheduleAtFixedRate(this::flushTelemetry, every, every, TimeUnit.NANOSECONDS);
    thread.execute(this::tick);
  }

  boolean connected() {
    return connected;
  }

  Optional<Instant> lastContact() {
    return lastContact;
  }

  Optional<String> lastError() {
    return lastError;
  }

  private void flushTelemetry() {
    try {
      telemetry.flush();
    } catch (RuntimeException e) {
      LOG.error("cannot write telemetry to disk", e);
    }
  }

  private void tick() {
    Duration delay;
    try {
      NodeIdentity id = enrolled();
      List<TelemetryRecord> batch = telemetry.log().oldest(TELEMETRY_PER_HEARTBEAT);
      CloudApiClient node = api.withToken(id.credential());
      HeartbeatResponse r = node.heartbeat(heartbeat(batch));
      if (!batch.isEmpty()) {
        telemetry.log().acknowledge(batch.getLast().sequence());
      }
      cloudInterval = r.heartbeatInterval();
      if (!Optional.of(r.desiredStateEtag()).equals(reconciler.targetEtag())) {
        node.desiredState(reconciler.targetEtag()).ifPresent(reconciler::offer);
      }
      contact();
      boolean backlog = batch.size() == TELEMETRY_PER_HEARTBEAT;
      delay = backlog ? DRAIN_INTERVAL : config.pollInterval().orElse(cloudInterval);
    } catch (StrataException e) {
      if (closing) {
        return; // interrupted by close
      }
      lost(e);
      delay = backoff.next();
    } catch (RuntimeException e) {
      if (closing) {
        return;
      }
      LOG.error("control loop failure; retrying", e);
      lastError = Optional.of(e.toString());
      delay = backoff.next();
    }
    if (!thread.isShutdown()) {
      try {
        thread.schedule(this::tick, delay.toNanos(), TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException closing) {
        // the agent is closing
      }
    }
  }

  private void contact() {
    if (!connected) {
      LOG.info("connected to the cloud at {}", api.baseUrl());
    }
    connected = true;
    lastContact = Optional.of(config.clock().instant());
    lastError = Optional.empty();
    backoff.reset();
  }

  private void lost(StrataException e) {
    if (connected || backoff.failures() == 0) {
      if (e.code() == ErrorCode.UNAUTHENTICATED) {
        LOG.error(
            "the cloud no longer accepts this node's credential ({}); serving what it has. To"
                + " rejoin, stop the agent, remove {} and start it with a new enrollment token",
            e.getMessage(),
            config.dataDir().resolve("node.json"));
      } else {
        LOG.warn("cloud unavailable ({}); serving from local state, retrying", e.getMessage());
      }
    } else {
      LOG.debug("cloud still unavailable: {}", e.getMessage());
    }
    connected = false;
    lastError = Optional.of(e.getMessage());
  }

  /** The node's identity, enrolling first when it has none. */
  private NodeIdentity enrolled() {
    Optional<NodeIdentity> id = identity.get();
    if (id.isPresent()) {
      return pinned(id.get());
    }
    String token =
        config
            .enrollToken()
            .orElseThrow(
                () ->
                    new StrataException(
                        ErrorCode.FAILED_PRECONDITION,
                        "this node has not enrolled and has no enrollment token (--enroll-token)"));
    // With a given key, check the cloud's before spending the one-time token on it.
    config.cloudKey().ifPresent(k -> requireKey(api.signingKey().publicKey(), k));
    Enrollment e = api.enroll(new EnrollRequest(token, config.nodeName(), config.labels()));
    String key = e.manifestPublicKey();
    config.cloudKey().ifPresent(k -> requireKey(key, k));
    PublicKeys.decode(key);
    NodeIdentity n =
        new NodeIdentity(
            e.nodeId(),
            e.name(),
            e.credential(),
            api.baseUrl().toString(),
            key,
            config.clock().instant());
    identity.set(n);
    LOG.info(
        "enrolled with {} as node {} ({}); manifest key {} {}",
        api.baseUrl(),
        e.name(),
        e.nodeId(),
        PublicKeys.keyId(PublicKeys.decode(key)),
        config.cloudKey().isPresent() ? "as given" : "pinned (trust on first use)");
    return n;
  }

  /** An operator-given key replaces the pinned one (a key rotation done on purpose). */
  private NodeIdentity pinned(NodeIdentity id) {
    Optional<String> given = config.cloudKey();
    if (given.isEmpty() || sameKey(given.get(), id.manifestPublicKey())) {
      return id;
    }
    LOG.warn("--cloud-key differs from the key pinned at enrollment; using the given key");
    NodeIdentity n =
        new NodeIdentity(
            id.nodeId(),
            id.name(),
            id.credential(),
            id.cloud(),
            given.get().trim(),
            id.enrolledAt());
    identity.set(n);
    return n;
  }

  private static void requireKey(String presented, String given) {
    if (!sameKey(presented, given)) {
      throw new StrataException(
          ErrorCode.PERMISSION_DENIED,
          String.format(
              "the cloud's manifest key is %s (expected: %s, given with --cloud-key); not enrolling",
              PublicKeys.keyId(PublicKeys.decode(presented)),
              PublicKeys.keyId(PublicKeys.decode(given))));
    }
  }

  private static boolean sameKey(String a, String b) {
    return Arrays.equals(PublicKeys.decode(a).getEncoded(), PublicKeys.decode(b).getEncoded());
  }

  private Heartbeat heartbeat(List<TelemetryRecord> batch) {
    Reconciler.Snapshot s = reconciler.snapshot();
    return new Heartbeat(
        StrataVersion.get(),
        s.health(),
        s.models(),
        service.inFlight(),
        system.cpuPercent(),
        system.memoryUsedBytes(),
        system.memoryTotalBytes(),
        telemetry.counters(),
        s.appliedEtag(),
        batch);
  }

  @Override
  public void close() {
    closing = true;
    thread.shutdownNow();
    try {
      thread.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
