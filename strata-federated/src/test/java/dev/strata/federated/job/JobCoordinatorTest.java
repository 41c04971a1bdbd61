package dev.strata.federated.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.strata.core.StrataException;
import dev.strata.federated.aggregate.StrategySpec;
import dev.strata.federated.secagg.Messages;
import dev.strata.federated.secagg.SecAggClient;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator with synthetic nodes: node k's "training" moves the model halfway to its own
 * target t_k, so FedAvg's global model after a round is the sample-weighted mean of those steps.
 */
class JobCoordinatorTest {
  @TempDir Path dir;

  static final class ManualClock extends Clock {
    Instant now = Instant.parse("2026-12-04T00:00:00Z");

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }

    void advance(Duration d) {
      now = now.plus(d);
    }
  }

  /** A node that trains by moving halfway to its target; may stop at a given step. */
  static final class Node {
    final String name;
    final float[] target;
    final long samples;
    String stopAt =
        "never"; // "train" (keeps polling, never reports), "gone" (stops polling), "masked"
    SecAggClient secure;
    float[] delta;
    double weight;
    final List<float[]> sentPlain = new ArrayList<>();

    Node(String name, long samples, float... target) {
      this.name = name;
      this.samples = samples;
      this.target = target;
    }

    void act(JobCoordinator job) {
      if (stopAt.equals("gone")) {
        return;
      }
      Optional<Task> t = job.poll(name);
      if (t.isEmpty()) {
        return;
      }
      switch (t.get()) {
        case Task.Train tr -> {
          if (stopAt.equals("train")) {
            return;
          }
          float[] g = job.global(tr.round());
          delta = new float[g.length];
          for (int i = 0; i < g.length; i++) {
            delta[i] = 0.5f * (target[i] - g[i]);
          }
          if (tr.secure().isPresent()) {
            secure = new SecAggClient(tr.participant(), tr.secure().get(), new SecureRandom());
            job.submitAdvert(
                name,
                tr.round(),
                tr.attempt(),
                secure.advertise(),
                samples,
                1.0,
                new Evaluation(0.5, 0.8, 10));
          } else {
            sentPlain.add(delta.clone());
            job.submitUpdate(
                name, tr.round(), tr.attempt(), delta, samples, 1.0, new Evaluation(0.5, 0.8, 10));
          }
        }
        case Task.Share s -> {
          weight = s.weight();
          job.submitShares(name, s.round(), job.status().attempt(), secure.shareKeys(s.adverts()));
        }
        case Task.Mask m -> {
          float[] x = new float[delta.length];
          for (int i = 0; i < x.length; i++) {
            x[i] = (float) (weight * delta[i]);
          }
          Messages.MaskedInput in = secure.mask(m.shares(), x);
          if (!stopAt.equals("masked")) {
            job.submitMasked(name, m.round(), job.status().attempt(), in);
          } else {
            stopAt = "gone";
          }
        }
        case Task.Unmask u ->
            job.submitUnmask(name, u.round(), job.status().attempt(), secure.unmask(u.request()));
      }
    }
  }

  private static JobSpec spec(
      int rounds, int perRound, int min, boolean secure, Optional<JobSpec.Privacy> dp) {
    return new JobSpec(
        "m",
        "1",
        "train=yes",
        rounds,
        perRound,
        min,
        Duration.ofSeconds(60),
        new JobSpec.Local(1, 32, 0.05, 0.9),
        new StrategySpec.FedAvg(),
        secure,
        8,
        0.3,
        dp);
  }

  private static void drive(JobCoordinator job, List<Node> nodes, ManualClock clock, int steps) {
    for (int i = 0; i < steps && job.status().state() == JobCoordinator.State.RUNNING; i++) {
      for (Node n : nodes) {
        n.act(job);
      }
      clock.advance(Duration.ofSeconds(1));
      job.tick();
    }
  }

  @Test
  void fedAvgRunsItsRoundsAndKeepsEveryModel() {
    ManualClock clock = new ManualClock();
    FileJobStore store = new FileJobStore(dir);
    JobCoordinator job =
        new JobCoordinator(
            "job-1",
            spec(3, 3, 2, false, Optional.empty()),
            new float[] {0, 0},
            store,
            clock,
            Duration.ofSeconds(30),
            1);
    List<Node> nodes =
        List.of(new Node("a", 100, 4, 0), new Node("b", 300, 0, 8), new Node("c", 100, 4, 4));
    List<Runnable> done = new ArrayList<>();
    job.onComplete(() -> done.add(() -> {}));
    drive(job, nodes, clock, 20);
    JobCoordinator.Status s = job.status();
    assertThat(s.state()).isEqualTo(JobCoordinator.State.COMPLETED);
    assertThat(s.rounds())
        .hasSize(3)
        .allSatisfy(
            r -> {
              assertThat(r.participants()).isEqualTo(3);
              assertThat(r.evalAccuracy()).isEqualTo(0.8);
            });
    assertThat(done).hasSize(1);
    // each round: g <- g + 0.5 (weighted target - g), weighted target = (1.6, 5.6)
    float[] expect = {0, 0};
    for (int r = 0; r < 3; r++) {
      expect[0] += 0.5f * (1.6f - expect[0]);
      expect[1] += 0.5f * (5.6f - expect[1]);
    }
    float[] result = job.result().orElseThrow();
    assertThat(result[0]).isCloseTo(expect[0], within(1e-5f));
    assertThat(result[1]).isCloseTo(expect[1], within(1e-5f));
    for (int r = 0; r <= 3; r++) {
      assertThat(store.global("job-1", r)).as("round %d kept", r).isPresent();
    }
    assertThat(store.global("job-1", 3).orElseThrow()).containsExactly(result);
  }

  @Test
  void stragglersAndDropoutsAreCutAtTheDeadline() {
    ManualClock clock = new ManualClock();
    JobCoordinator job =
        new JobCoordinator(
            "job-2",
            spec(1, 4, 2, false, Optional.empty()),
            new float[] {0},
            new FileJobStore(dir),
            clock,
            Duration.ofSeconds(30),
            1);
    Node slow = new Node("slow", 10, 1);
    Node gone = new Node("gone", 10, 1);
    List<Node> nodes = List.of(new Node("a", 10, 2), new Node("b", 10, 4), slow, gone);
    slow.stopAt = "train";
    gone.stopAt = "train";
    nodes.forEach(n -> n.act(job)); // all present: round 1 selects all four
    assertThat(job.status().selected()).hasSize(4);
    gone.stopAt = "gone";
    drive(job, nodes, clock, 59);
    assertThat(job.status().state()).isEqualTo(JobCoordinator.State.RUNNING);
    drive(job, nodes, clock, 5);
    RoundSummary r = job.status().rounds().getFirst();
    assertThat(r.participants()).isEqualTo(2);
    assertThat(r.stragglers()).isEqualTo(1);
    assertThat(r.dropouts()).isEqualTo(1);
    assertThat(job.result().orElseThrow()[0]).isCloseTo(1.5f, within(1e-6f));
  }

  @Test
  void aRoundShortOfNodesRunsAgain() {
    ManualClock clock = new ManualClock();
    JobCoordinator job =
        new JobCoordinator(
            "job-3",
            spec(1, 3, 3, false, Optional.empty()),
            new float[] {0},
            new FileJobStore(dir),
            clock,
            Duration.ofSeconds(30),
            1);
    Node flaky = new Node("c", 10, 1);
    List<Node> nodes = List.of(new Node("a", 10, 1), new Node("b", 10, 1), flaky);
    flaky.stopAt = "train";
    nodes.forEach(n -> n.act(job));
    drive(job, nodes, clock, 62);
    assertThat(job.status().attempt()).isEqualTo(2);
    flaky.stopAt = "never";
    drive(job, nodes, clock, 5);
    assertThat(job.status().state()).isEqualTo(JobCoordinator.State.COMPLETED);
    assertThat(job.status().rounds().getFirst().attempts()).isEqualTo(2);
    // the first attempt's straggler counts in the round's summary
    assertThat(job.status().rounds().getFirst().stragglers()).isEqualTo(1);
  }

  @Test
  void secureAggregationSurvivesADropAfterMasking() {
    ManualClock clock = new ManualClock();
    JobCoordinator job =
        new JobCoordinator(
            "job-4",
            spec(1, 5, 3, true, Optional.empty()),
            new float[] {0, 0},
            new FileJobStore(dir),
            clock,
            Duration.ofSeconds(30),
            1);
    List<Node> nodes = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      nodes.add(new Node("n" + i, 10 * (i + 1), i, 2 * i));
    }
    nodes.forEach(n -> n.act(job));
    nodes.get(4).stopAt = "masked";
    drive(job, nodes, clock, 200);
    JobCoordinator.Status s = job.status();
    assertThat(s.state()).isEqualTo(JobCoordinator.State.COMPLETED);
    assertThat(s.rounds().getFirst().participants()).isEqualTo(4);
    // the sample-weighted mean of the four survivors' steps
    double w = 10 + 20 + 30 + 40;
    double x = (10 * 0 + 20 * 1 + 30 * 2 + 40 * 3) * 0.5 / w;
    float[] g = job.result().orElseThrow();
    assertThat((double) g[0]).isCloseTo(x, within(1e-5));
    assertThat((double) g[1]).isCloseTo(2 * x, within(1e-5));
  }

  @Test
  void aRestartedCoordinatorResumesAtTheLastCompletedRound() {
    ManualClock clock = new ManualClock();
    FileJobStore store = new FileJobStore(dir);
    JobSpec spec =
        new JobSpec(
            "m",
            "1",
            "",
            3,
            2,
            2,
            Duration.ofSeconds(60),
            new JobSpec.Local(1, 32, 0.05, 0.9),
            new StrategySpec.FedAdam(0.1, 0.9, 0.99, 1e-3),
            false,
            8,
            0.3,
            Optional.empty());
    JobCoordinator first =
        new JobCoordinator(
            "job-5", spec, new float[] {0, 0}, store, clock, Duration.ofSeconds(30), 1);
    List<Node> nodes = List.of(new Node("a", 10, 1, 1), new Node("b", 10, 3, 3));
    while (first.status().rounds().size() < 1) {
      drive(first, nodes, clock, 1);
    }
    float[] afterOne = first.global(2);
    // the cloud restarts: a new coordinator over the same store, a different starting vector
    JobCoordinator second =
        new JobCoordinator(
            "job-5", spec, new float[] {9, 9}, store, clock, Duration.ofSeconds(30), 1);
    assertThat(second.status().rounds()).hasSize(1);
    assertThat(second.global(2)).containsExactly(afterOne);
    drive(second, nodes, clock, 20);
    assertThat(second.status().state()).isEqualTo(JobCoordinator.State.COMPLETED);
    assertThat(second.status().rounds()).hasSize(3);
    // the server optimizer's moments survived: the same as an uninterrupted run
    JobCoordinator straight =
        new JobCoordinator(
            "job-6", spec, new float[] {0, 0}, store, clock, Duration.ofSeconds(30), 1);
    drive(straight, nodes, clock, 20);
    assertThat(straight.result().orElseThrow()).containsExactly(second.result().orElseThrow());
  }

  @Test
  void privacyStopsTheJobAtItsBudget() {
    ManualClock clock = new ManualClock();
    JobSpec.Privacy dp = new JobSpec.Privacy(2.0, 1.0, 5.0, true);
    JobCoordinator job =
        new JobCoordinator(
            "job-7",
            spec(50, 3, 3, false, Optional.of(dp)),
            new float[] {0},
            new FileJobStore(dir),
            clock,
            Duration.ofSeconds(30),
            1);
    List<Node> nodes = List.of(new Node("a", 10, 1), new Node("b", 10, 1), new Node("c", 10, 1));
    drive(job, nodes, clock, 200);
    JobCoordinator.Status s = job.status();
    assertThat(s.state()).isEqualTo(JobCoordinator.State.STOPPED);
    assertThat(s.reason().orElseThrow()).contains("privacy budget");
    assertThat(s.epsilon()).isPositive().isLessThanOrEqualTo(5.0);
    assertThat(s.rounds()).isNotEmpty().hasSizeLessThan(50);
  }

  @Test
  void wrongSubmissionsAreRefusedAndChangeNothing() {
    ManualClock clock = new ManualClock();
    JobCoordinator job =
        new JobCoordinator(
            "job-8",
            spec(1, 2, 2, false, Optional.empty()),
            new float[] {0, 0},
            new FileJobStore(dir),
            clock,
            Duration.ofSeconds(30),
            1);
    job.poll("a");
    job.poll("b");
    assertThatThrownBy(() -> job.submitUpdate("a", 1, 1, new float[3], 10, 1, Evaluation.NONE))
        .isInstanceOf(StrataException.class)
        .hasMessageContaining("3 parameters (expected: 2");
    assertThatThrownBy(() -> job.submitUpdate("a", 2, 1, new float[2], 10, 1, Evaluation.NONE))
        .hasMessageContaining("not the current one");
    assertThatThrownBy(() -> job.submitUpdate("z", 1, 1, new float[2], 10, 1, Evaluation.NONE))
        .hasMessageContaining("node z");
    assertThatThrownBy(
            () -> job.submitUpdate("a", 1, 1, new float[] {Float.NaN, 0}, 10, 1, Evaluation.NONE))
        .hasMessageContaining("not finite");
    job.submitUpdate("a", 1, 1, new float[2], 10, 1, Evaluation.NONE);
    assertThatThrownBy(() -> job.submitUpdate("a", 1, 1, new float[2], 10, 1, Evaluation.NONE))
        .hasMessageContaining("already reported");
    assertThat(job.status().state()).isEqualTo(JobCoordinator.State.RUNNING);
    assertThatThrownBy(() -> new FileJobStore(dir).load("../x"))
        .hasMessageContaining("federated job id");
  }
}
