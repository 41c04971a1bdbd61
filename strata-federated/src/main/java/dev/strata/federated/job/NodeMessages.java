package dev.strata.federated.job;

import dev.strata.federated.secagg.Messages;
import java.util.List;

/** The JSON bodies nodes send under secure aggregation (the plain update travels as binary). */
public final class NodeMessages {
  private NodeMessages() {}

  /** A node trained and sends its keys with its sample count, training loss and evaluation. */
  public record Keys(
      int attempt,
      Messages.KeyAdvert advert,
      long samples,
      double trainLoss,
      Evaluation evaluation) {}

  public record Shares(int attempt, List<Messages.EncryptedShare> shares) {}

  public record Unmask(int attempt, Messages.UnmaskResponse response) {}
}
