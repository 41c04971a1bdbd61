package dev.strata.federated.job;

import static java.util.Objects.requireNonNull;

import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.federated.aggregate.Aggregator;
import dev.strata.federated.aggregate.ClientUpdate;
import dev.strata.federated.privacy.ClientPrivacy;
import dev.strata.federated.privacy.RdpAccountant;
import dev.strata.federated.secagg.Messages;
import dev.strata.federated.secagg.SecAggConfig;
import dev.strata.federated.secagg.SecAggServer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one federated job, transport-neutral: nodes {@link #poll} for their next {@link Task} and
 * submit what it asks for; the cloud calls {@link #tick} periodically so that deadlines pass
 * without anyone polling. A round selects up to {@code clientsPerRound} of the nodes that polled
 * recently, gives them until the deadline to train and report, cuts the rest (stragglers if they
 * still poll, dropouts if they stopped), aggregates when at least {@code minClients} reported and
 * runs the round again otherwise. Under secure aggregation the report is the protocol of {@link
 * SecAggServer}, each later step with a quarter of the deadline. After every round the global model
 * and the job's state go to the {@link JobStore}, from which a restarted cloud resumes at the last
 * completed round. Thread-safe (one lock).
 */
public final class JobCoordinator {
  private static final Logger log = LoggerFactory.getLogger(JobCoordinator.class);

  /** Where the job is. */
  public enum State {
    RUNNING,
    COMPLETED,
    STOPPED,
    FAILED
  }

  /** Where the current round is. */
  public enum Phase {
    WAITING,
    TRAINING,
    SHARING,
    MASKING,
    UNMASKING,
    DONE
  }

  /** What the API shows of a job. */
  public record Status(
      String id,
      JobSpec spec,
      State state,
      Optional<String> reason,
      int round,
      Phase phase,
      int attempt,
      List<String> selected,
      double epsilon,
      List<RoundSummary> rounds) {}

  private final String id;
  private final JobSpec spec;
  private final Clock clock;
  private final JobStore store;
  private final Duration availability;
  private final Aggregator aggregator;
  private final Random selection;
  private final RdpAccountant accountant = new RdpAccountant();
  private final Map<String, Instant> lastSeen = new LinkedHashMap<>();
  private final List<RoundSummary> rounds = new ArrayList<>();
  private final List<Runnable> onComplete = new ArrayList<>();
  private float[] global;
  private State state = State.RUNNING;
  private Optional<String> reason = Optional.empty();
  private int round;
  private int attempt;
  private Phase phase = Phase.WAITING;
  private Instant roundStart;
  private Instant waitingSince;
  // dropouts and stragglers of the round's failed attempts
  private int earlierDropouts;
  private int earlierStragglers;
  private Instant deadline;
  // the current attempt
  private final Map<String, Integer> selected = new LinkedHashMap<>();
  private final Map<String, Report> reports = new LinkedHashMap<>();
  private SecAggServer secure;
  private SecAggConfig secureConfig;
  private final Set<String> shared = new TreeSet<>();
  private final Set<String> masked = new TreeSet<>();
  private final Set<String> unmasked = new TreeSet<>();
  private double population = Double.NaN;

  /** What one node reported for the round: its update (plain) or its weight (secure). */
  private record Report(Optional<float[]> delta, long samples, double trainLoss, Evaluation eval) {}

  /**
   * Starts or resumes a job.
   *
   * @param initial the starting model's parameters (a resumed job takes the store's instead)
   * @param availability how recently a node must have polled to be selected or counted present; a
   *     round short of {@code clientsPerRound} nodes also waits this long for more to show up
   */
  public JobCoordinator(
      String id,
      JobSpec spec,
      float[] initial,
      JobStore store,
      Clock clock,
      Duration availability,
      long seed) {
    this(id, spec, initial, new java.util.BitSet(), store, clock, availability, seed);
  }

  /**
   * Starts or resumes a job whose vector holds running statistics at {@code statistics}: they take
   * the mean change whatever the server optimizer (see {@link Aggregator}).
   */
  public JobCoordinator(
      String id,
      JobSpec spec,
      float[] initial,
      java.util.BitSet statistics,
      JobStore store,
      Clock clock,
      Duration availability,
      long seed) {
    this.id = requireNonNull(id, "id");
    this.spec = requireNonNull(spec, "spec");
    this.store = requireNonNull(store, "store");
    this.clock = requireNonNull(clock, "clock");
    this.availability = requireNonNull(availability, "availability");
    this.aggregator = new Aggregator(spec.strategy(), statistics);
    this.selection = new Random(seed);
    Optional<JobStore.Saved> saved = store.load(id);
    if (saved.isPresent()) {
      JobStore.Saved s = saved.get();
      global = s.global();
      rounds.addAll(s.rounds());
      aggregator.restore(s.aggregator());
      state = s.state();
      reason = s.reason();
      round = rounds.size() + 1;
      spec.privacy()
          .ifPresent(
              p -> {
                for (RoundSummary r : rounds) {
                  accountant.step(
                      Math.min(1, r.selected() / Math.max(1.0, s.population())),
                      p.noiseMultiplier(),
                      1);
                }
              });
      population = s.population();
      log.info(
          "federated job {}: resumed after round {} of {} ({})",
          id,
          rounds.size(),
          spec.rounds(),
          state);
    } else {
      global = initial.clone();
      round = 1;
      persist();
    }
    if (round > spec.rounds() && state == State.RUNNING) {
      state = State.COMPLETED;
    }
  }

  public String id() {
    return id;
  }

  public JobSpec spec() {
    return spec;
  }

  public synchronized State state() {
    return state;
  }

  /** Runs {@code r} once the job completes (on the thread whose call completed it). */
  public synchronized void onComplete(Runnable r) {
    onComplete.add(r);
  }

  /** The global model at the start of round {@code r} (the final model when r = rounds + 1). */
  public synchronized float[] global(int r) {
    if (r == round || r == rounds.size() + 1) {
      return global.clone();
    }
    return store
        .global(id, r - 1)
        .orElseThrow(() -> StrataException.notFound("job %s: no model for round %d", id, r));
  }

  /** The final model, once the job completed. */
  public synchronized Optional<float[]> result() {
    return state == State.COMPLETED ? Optional.of(global.clone()) : Optional.empty();
  }

  public synchronized Status status() {
    return new Status(
        id,
        spec,
        state,
        reason,
        Math.min(round, spec.rounds()),
        state == State.RUNNING ? phase : Phase.DONE,
        attempt,
        List.copyOf(selected.keySet()),
        spec.privacy().isPresent() ? accountant.epsilon(RdpAccountant.DELTA_REPORTED) : Double.NaN,
        List.copyOf(rounds));
  }

  /** Stops the job; what it learnt so far stays in the store. */
  public synchronized void stop(String why) {
    if (state == State.RUNNING) {
      state = State.STOPPED;
      reason = Optional.of(why);
      persist();
    }
  }

  /** Lets deadlines pass; the cloud calls it every second or so. */
  public synchronized void tick() {
    advance();
  }

  /** A node asks for work: the task of the current step if it takes part, else nothing. */
  public synchronized Optional<Task> poll(String node) {
    lastSeen.put(node, clock.instant());
    advance();
    if (state != State.RUNNING) {
      return Optional.empty();
    }
    Integer participant = selected.get(node);
    if (participant == null) {
      return Optional.empty();
    }
    return switch (phase) {
      case TRAINING ->
          reports.containsKey(node)
              ? Optional.empty()
              : Optional.of(
                  new Task.Train(
                      id,
                      round,
                      attempt,
                      participant,
                      spec.local(),
                      spec.strategy().proximalMu(),
                      Optional.ofNullable(secureConfig),
                      spec.privacy().map(p -> new ClientPrivacy(p.noiseMultiplier(), p.clip())),
                      spec.secureAggregation() && spec.privacy().isPresent()
                          ? new ClientPrivacy(
                                  spec.privacy().get().noiseMultiplier(),
                                  spec.privacy().get().clip())
                              .shareStd(selected.size())
                          : 0));
      case SHARING ->
          reports.containsKey(node) && !shared.contains(node)
              ? Optional.of(new Task.Share(id, round, secure.adverts(), weight(node)))
              : Optional.empty();
      case MASKING ->
          shared.contains(node) && !masked.contains(node)
              ? Optional.of(new Task.Mask(id, round, secure.sharesFor(participant)))
              : Optional.empty();
      case UNMASKING ->
          masked.contains(node) && !unmasked.contains(node)
              ? Optional.of(new Task.Unmask(id, round, secure.unmaskRequest()))
              : Optional.empty();
      default -> Optional.empty();
    };
  }

  /** A node's plain update (no secure aggregation). */
  public synchronized void submitUpdate(
      String node, int r, int a, float[] delta, long samples, double trainLoss, Evaluation eval) {
    expect(node, r, a, Phase.TRAINING);
    if (spec.secureAggregation()) {
      throw conflict("job %s uses secure aggregation: send keys, not a plain update", id);
    }
    if (delta.length != global.length) {
      throw StrataException.invalid(
          "update: %d parameters (expected: %d, the job's model)", delta.length, global.length);
    }
    for (float v : delta) {
      if (!Float.isFinite(v)) {
        throw StrataException.invalid(
            "update: a parameter change that is not finite (expected: finite values)");
      }
    }
    if (samples <= 0) {
      throw StrataException.invalid("update: %d samples (expected: > 0)", samples);
    }
    if (reports.putIfAbsent(node, new Report(Optional.of(delta.clone()), samples, trainLoss, eval))
        != null) {
      throw conflict("node %s already reported round %d", node, r);
    }
    advance();
  }

  /** Under secure aggregation: a node trained and sends its keys, sample count and losses. */
  public synchronized void submitAdvert(
      String node,
      int r,
      int a,
      Messages.KeyAdvert advert,
      long samples,
      double trainLoss,
      Evaluation eval) {
    expect(node, r, a, Phase.TRAINING);
    if (!spec.secureAggregation()) {
      throw conflict("job %s does not use secure aggregation: send the update", id);
    }
    if (advert.id() != selected.get(node)) {
      throw StrataException.invalid(
          "keys for participant %d from node %s (expected: %d)",
          advert.id(), node, selected.get(node));
    }
    if (samples <= 0) {
      throw StrataException.invalid("keys: %d samples (expected: > 0)", samples);
    }
    if (reports.containsKey(node)) {
      throw conflict("node %s already sent its keys for round %d", node, r);
    }
    secure.receive(advert);
    reports.put(node, new Report(Optional.empty(), samples, trainLoss, eval));
    advance();
  }

  public synchronized void submitShares(
      String node, int r, int a, List<Messages.EncryptedShare> shares) {
    expect(node, r, a, Phase.SHARING);
    if (!reports.containsKey(node) || shared.contains(node)) {
      throw conflict("node %s: shares not expected now", node);
    }
    secure.receiveShares(selected.get(node), shares);
    shared.add(node);
    advance();
  }

  public synchronized void submitMasked(String node, int r, int a, Messages.MaskedInput input) {
    expect(node, r, a, Phase.MASKING);
    if (!shared.contains(node) || masked.contains(node) || input.id() != selected.get(node)) {
      throw conflict("node %s: masked input not expected now", node);
    }
    secure.receive(input);
    masked.add(node);
    advance();
  }

  public synchronized void submitUnmask(
      String node, int r, int a, Messages.UnmaskResponse response) {
    expect(node, r, a, Phase.UNMASKING);
    if (!masked.contains(node) || unmasked.contains(node) || response.id() != selected.get(node)) {
      throw conflict("node %s: unmasking answer not expected now", node);
    }
    secure.receive(response);
    unmasked.add(node);
    advance();
  }

  private void expect(String node, int r, int a, Phase p) {
    lastSeen.put(node, clock.instant());
    advance();
    if (state != State.RUNNING) {
      throw conflict("job %s is %s", id, state.name().toLowerCase(java.util.Locale.ROOT));
    }
    if (r != round || a != attempt || !selected.containsKey(node)) {
      throw conflict(
          "node %s: round %d attempt %d is not the current one for it (round %d attempt %d)",
          node, r, a, round, attempt);
    }
    if (phase != p) {
      throw conflict("node %s: round %d is at %s, not %s", node, r, phase, p);
    }
  }

  private void advance() {
    boolean moved = true;
    while (moved && state == State.RUNNING) {
      moved = step();
    }
  }

  /** One transition if one is due; true when it moved. */
  private boolean step() {
    Instant now = clock.instant();
    switch (phase) {
      case WAITING -> {
        if (round > spec.rounds()) {
          complete();
          return false;
        }
        List<String> present = present(now);
        int needed = Math.max(spec.minClients(), spec.secureAggregation() ? 2 : 1);
        if (waitingSince == null) {
          waitingSince = now;
        }
        // start with a full round at once, or with at least min_clients after waiting one
        // availability window for more to show up
        boolean full = present.size() >= spec.clientsPerRound();
        if (present.size() < needed || !full && now.isBefore(waitingSince.plus(availability))) {
          return false;
        }
        waitingSince = null;
        if (spec.privacy().isPresent()) {
          JobSpec.Privacy p = spec.privacy().get();
          population =
              Double.isNaN(population) ? present.size() : Math.max(population, present.size());
          double q = Math.min(1, Math.min(spec.clientsPerRound(), present.size()) / population);
          double next =
              RdpAccountant.epsilon(
                  q, p.noiseMultiplier(), rounds.size() + 1, RdpAccountant.DELTA_REPORTED);
          if (next > p.budget()) {
            if (p.stopAtBudget()) {
              state = State.STOPPED;
              reason =
                  Optional.of(
                      String.format(
                          java.util.Locale.ROOT,
                          "privacy budget: round %d would spend epsilon %.3f > %.3f (delta 1e-5)",
                          round,
                          next,
                          p.budget()));
              log.warn("federated job {}: {}", id, reason.get());
              persist();
              return false;
            }
            log.warn(
                "federated job {}: round {} spends epsilon {} past the budget {}",
                id,
                round,
                next,
                p.budget());
          }
        }
        Collections.shuffle(present, selection);
        List<String> chosen = present.subList(0, Math.min(spec.clientsPerRound(), present.size()));
        selected.clear();
        reports.clear();
        shared.clear();
        masked.clear();
        unmasked.clear();
        attempt++;
        int participant = 1;
        for (String n : chosen) {
          selected.put(n, participant++);
        }
        if (spec.secureAggregation()) {
          secureConfig =
              new SecAggConfig(
                  id + "/round-" + round + "/attempt-" + attempt,
                  SecAggConfig.thresholdFor(selected.size(), spec.dropoutTolerance()),
                  spec.clippingRange(),
                  global.length);
          secure = new SecAggServer(secureConfig);
        }
        if (attempt == 1 || roundStart == null) {
          roundStart = now;
        }
        phase = Phase.TRAINING;
        deadline = now.plus(spec.roundDeadline());
        log.info(
            "federated job {}: round {} (attempt {}) with {} nodes",
            id,
            round,
            attempt,
            selected.size());
        return true;
      }
      case TRAINING -> {
        if (reports.size() < selected.size() && now.isBefore(deadline)) {
          return false;
        }
        if (!spec.secureAggregation()) {
          if (reports.size() < spec.minClients()) {
            return retry(
                String.format(
                    "%d of %d nodes reported by the deadline (expected: at least %d)",
                    reports.size(), selected.size(), spec.minClients()));
          }
          List<ClientUpdate> updates = new ArrayList<>();
          for (Map.Entry<String, Report> e : reports.entrySet()) {
            float[] d = e.getValue().delta().orElseThrow();
            spec.privacy()
                .ifPresent(p -> new ClientPrivacy(p.noiseMultiplier(), p.clip()).clipInPlace(d));
            updates.add(
                new ClientUpdate(e.getKey(), d, e.getValue().samples(), e.getValue().trainLoss()));
          }
          float[] mean;
          if (spec.privacy().isPresent()) {
            ClientPrivacy p =
                new ClientPrivacy(
                    spec.privacy().get().noiseMultiplier(), spec.privacy().get().clip());
            mean = new float[global.length];
            for (ClientUpdate u : updates) {
              for (int i = 0; i < mean.length; i++) {
                mean[i] += u.delta()[i];
              }
            }
            ClientPrivacy.addNoise(mean, p.sumStd(), new java.security.SecureRandom());
            for (int i = 0; i < mean.length; i++) {
              mean[i] /= updates.size();
            }
          } else {
            mean = aggregator.combine(updates);
          }
          finishRound(mean, reports.keySet());
          return true;
        }
        if (reports.size() < Math.max(spec.minClients(), secureConfig.threshold())) {
          return retry(
              String.format(
                  "%d of %d nodes sent keys by the deadline (expected: at least %d)",
                  reports.size(),
                  selected.size(),
                  Math.max(spec.minClients(), secureConfig.threshold())));
        }
        phase = Phase.SHARING;
        deadline = now.plus(spec.roundDeadline().dividedBy(4));
        return true;
      }
      case SHARING -> {
        if (shared.size() < reports.size() && now.isBefore(deadline)) {
          return false;
        }
        if (shared.size() < secureConfig.threshold()) {
          return retry(
              String.format(
                  "%d nodes shared keys (expected: at least %d)",
                  shared.size(), secureConfig.threshold()));
        }
        phase = Phase.MASKING;
        deadline = now.plus(spec.roundDeadline().dividedBy(4));
        return true;
      }
      case MASKING -> {
        if (masked.size() < shared.size() && now.isBefore(deadline)) {
          return false;
        }
        if (masked.size() < secureConfig.threshold()) {
          return retry(
              String.format(
                  "%d nodes sent masked updates (expected: at least %d)",
                  masked.size(), secureConfig.threshold()));
        }
        secure.unmaskRequest();
        phase = Phase.UNMASKING;
        deadline = now.plus(spec.roundDeadline().dividedBy(4));
        return true;
      }
      case UNMASKING -> {
        if (unmasked.size() < masked.size() && now.isBefore(deadline)) {
          return false;
        }
        if (unmasked.size() < secureConfig.threshold()) {
          return retry(
              String.format(
                  "%d nodes answered the unmasking (expected: at least %d)",
                  unmasked.size(), secureConfig.threshold()));
        }
        float[] sum = secure.sum();
        double w = 0;
        for (String n : masked) {
          w += weight(n);
        }
        for (int i = 0; i < sum.length; i++) {
          sum[i] = (float) (sum[i] / w);
        }
        finishRound(sum, masked);
        return true;
      }
      default -> {
        return false;
      }
    }
  }

  /** A node's weight in the secure sum: its share of the advertised samples, or 1/m under DP. */
  private double weight(String node) {
    if (spec.privacy().isPresent()) {
      return 1.0 / reports.size();
    }
    long total = 0;
    for (Report r : reports.values()) {
      total += r.samples();
    }
    return (double) reports.get(node).samples() / total;
  }

  private boolean retry(String why) {
    int[] cut = cut(reports.keySet());
    earlierDropouts += cut[0];
    earlierStragglers += cut[1];
    log.warn(
        "federated job {}: round {} attempt {} falls short: {}; running it again",
        id,
        round,
        attempt,
        why);
    phase = Phase.WAITING;
    selected.clear();
    return true;
  }

  private void finishRound(float[] mean, Set<String> included) {
    Instant now = clock.instant();
    global = aggregator.apply(global, mean);
    double trainLoss = 0;
    long samples = 0;
    double evalLoss = 0;
    double evalCorrect = 0;
    long evalSamples = 0;
    for (String n : included) {
      Report r = reports.get(n);
      trainLoss += r.trainLoss() * r.samples();
      samples += r.samples();
      if (r.eval().samples() > 0) {
        evalLoss += r.eval().loss() * r.eval().samples();
        evalCorrect += r.eval().accuracy() * r.eval().samples();
        evalSamples += r.eval().samples();
      }
    }
    int[] cut = cut(included);
    int dropouts = cut[0] + earlierDropouts;
    int stragglers = cut[1] + earlierStragglers;
    earlierDropouts = 0;
    earlierStragglers = 0;
    double eps = Double.NaN;
    if (spec.privacy().isPresent()) {
      accountant.step(
          Math.min(1, selected.size() / population), spec.privacy().get().noiseMultiplier(), 1);
      eps = accountant.epsilon(RdpAccountant.DELTA_REPORTED);
    }
    RoundSummary s =
        new RoundSummary(
            round,
            selected.size(),
            included.size(),
            dropouts,
            stragglers,
            attempt,
            trainLoss / samples,
            evalSamples > 0 ? evalLoss / evalSamples : Double.NaN,
            evalSamples > 0 ? evalCorrect / evalSamples : Double.NaN,
            evalSamples,
            eps,
            Duration.between(roundStart, now).toMillis() / 1000.0);
    rounds.add(s);
    log.info(
        "federated job {}: round {} done: {} updates ({} dropped, {} cut at the deadline), train loss {}, held-out accuracy {}",
        id,
        round,
        included.size(),
        dropouts,
        stragglers,
        String.format(java.util.Locale.ROOT, "%.4f", s.trainLoss()),
        String.format(java.util.Locale.ROOT, "%.4f", s.evalAccuracy()));
    round++;
    attempt = 0;
    roundStart = null;
    selected.clear();
    reports.clear();
    secure = null;
    secureConfig = null;
    phase = Phase.WAITING;
    store.saveRound(id, rounds.size(), global);
    persist();
  }

  /**
   * The selected nodes that are not in {@code included}: those no longer polling (dropouts) and
   * those still polling but late (stragglers).
   */
  private int[] cut(Set<String> included) {
    Instant now = clock.instant();
    int dropouts = 0;
    int stragglers = 0;
    for (String n : selected.keySet()) {
      if (!included.contains(n)) {
        Instant seen = lastSeen.get(n);
        if (seen != null && !seen.isBefore(now.minus(availability))) {
          stragglers++;
        } else {
          dropouts++;
        }
      }
    }
    return new int[] {dropouts, stragglers};
  }

  private void complete() {
    state = State.COMPLETED;
    phase = Phase.DONE;
    persist();
    log.info("federated job {}: completed {} rounds", id, rounds.size());
    for (Runnable r : onComplete) {
      try {
        r.run();
      } catch (RuntimeException e) {
        log.error("federated job {}: completion hook failed", id, e);
        state = State.FAILED;
        reason = Optional.of("registering the result failed: " + e.getMessage());
        persist();
      }
    }
  }

  private List<String> present(Instant now) {
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, Instant> e : lastSeen.entrySet()) {
      if (!e.getValue().isBefore(now.minus(availability))) {
        out.add(e.getKey());
      }
    }
    Collections.sort(out);
    return out;
  }

  private void persist() {
    store.save(
        id,
        new JobStore.Saved(
            spec, state, reason, List.copyOf(rounds), aggregator.state(), population, global));
  }

  private static StrataException conflict(String format, Object... args) {
    return new StrataException(
        ErrorCode.FAILED_PRECONDITION, String.format(java.util.Locale.ROOT, format, args));
  }
}
