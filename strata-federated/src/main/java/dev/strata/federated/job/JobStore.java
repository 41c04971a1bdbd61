package dev.strata.federated.job;

import dev.strata.federated.aggregate.Aggregator;
import java.util.List;
import java.util.Optional;

/**
 * Where a job's state and every round's global model are kept, so that a job survives a restart.
 */
public interface JobStore {
  /**
   * A job as last saved: its spec and state, its completed rounds, the server optimizer's state and
   * the global model after the last completed round.
   *
   * @param population the most nodes seen available (the DP accountant's population)
   */
  record Saved(
      JobSpec spec,
      JobCoordinator.State state,
      Optional<String> reason,
      List<RoundSummary> rounds,
      Aggregator.State aggregator,
      double population,
      float[] global) {}

  /** Saves the job; the global model saved must be the one after its last completed round. */
  void save(String id, Saved saved);

  /** Keeps the global model after {@code round} (0: the starting model). */
  void saveRound(String id, int round, float[] global);

  Optional<Saved> load(String id);

  /** The global model after {@code round}, if kept. */
  Optional<float[]> global(String id, int round);

  /** The ids of the saved jobs. */
  List<String> jobs();
}
