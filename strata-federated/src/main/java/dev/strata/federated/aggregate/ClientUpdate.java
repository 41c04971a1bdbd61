package dev.strata.federated.aggregate;

import static java.util.Objects.requireNonNull;

import dev.strata.core.StrataException;

/**
 * What one client sends back after a round: the change it made to the global model's parameters
 * (its local parameters minus the global ones, flattened in the block's parameter order), how many
 * samples it trained on and its mean training loss. No sample leaves the client.
 */
public record ClientUpdate(String client, float[] delta, long samples, double trainLoss) {
  public ClientUpdate {
    requireNonNull(client, "client");
    requireNonNull(delta, "delta");
    if (samples <= 0) {
      throw StrataException.invalid(
          "update from %s: %d samples (expected: > 0, a client that trained)", client, samples);
    }
  }
}
