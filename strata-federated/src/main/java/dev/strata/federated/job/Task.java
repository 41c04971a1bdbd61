package dev.strata.federated.job;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.strata.federated.privacy.ClientPrivacy;
import dev.strata.federated.secagg.Messages;
import dev.strata.federated.secagg.SecAggConfig;
import java.util.List;
import java.util.Optional;

/** What a node polling the coordinator is asked to do next (JSON with a {@code type}). */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
  @JsonSubTypes.Type(value = Task.Train.class, name = "train"),
  @JsonSubTypes.Type(value = Task.Share.class, name = "share"),
  @JsonSubTypes.Type(value = Task.Mask.class, name = "mask"),
  @JsonSubTypes.Type(value = Task.Unmask.class, name = "unmask")
})
public sealed interface Task {
  String job();

  int round();

  /**
   * Train on the round's global model ({@link JobCoordinator#global}) and report: the update
   * itself, or under secure aggregation the keys of {@code participant} to begin the protocol.
   *
   * @param attempt the round's attempt (a round whose nodes fell short is run again)
   * @param privacy clip the update (and, under secure aggregation, add {@code noiseStd})
   */
  record Train(
      String job,
      int round,
      int attempt,
      int participant,
      JobSpec.Local local,
      double proximalMu,
      Optional<SecAggConfig> secure,
      Optional<ClientPrivacy> privacy,
      double noiseStd)
      implements Task {}

  /**
   * Secure aggregation step 1: share keys with these advertised nodes; weigh the update by {@code
   * weight} (its samples over all advertised samples, or 1/m under DP) before masking.
   */
  record Share(String job, int round, List<Messages.KeyAdvert> adverts, double weight)
      implements Task {}

  /** Secure aggregation step 2: open these shares and send the masked, weighted update. */
  record Mask(String job, int round, List<Messages.EncryptedShare> shares) implements Task {}

  /** Secure aggregation step 3: reveal what unmasking needs. */
  record Unmask(String job, int round, Messages.UnmaskRequest request) implements Task {}
}
