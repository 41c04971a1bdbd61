package dev.strata.federated.secagg;

import static java.util.Objects.requireNonNull;

import java.util.Map;
import java.util.Set;

/**
 * The messages of one secure-aggregation round (Bonawitz et al., CCS 2017, the semi-honest
 * variant), each with the number of bytes it takes on the wire in Strata's binary encoding, so that
 * the traffic a round costs can be reported.
 */
public final class Messages {
  private Messages() {}

  /**
   * Round 0, client → server: the client's two X25519 public keys (X.509 encoded): one to encrypt
   * the shares it receives, one to agree the pairwise mask seeds; and its weight in the round.
   */
  public record KeyAdvert(int id, byte[] encryptionKey, byte[] maskKey) {
    public KeyAdvert {
      requireNonNull(encryptionKey, "encryptionKey");
      requireNonNull(maskKey, "maskKey");
    }

    public long wireBytes() {
      return 4 + 4 + encryptionKey.length + 4 + maskKey.length;
    }
  }

  /**
   * Round 1, client → server → client: one client's Shamir shares of its self-mask seed and its
   * mask private key for another client, encrypted (AES-GCM) with the key the two agreed.
   */
  public record EncryptedShare(int from, int to, byte[] ciphertext) {
    public EncryptedShare {
      requireNonNull(ciphertext, "ciphertext");
    }

    public long wireBytes() {
      return 4 + 4 + 4 + ciphertext.length;
    }
  }

  /** Round 2, client → server: the client's input in fixed point plus its masks, mod 2^32. */
  public record MaskedInput(int id, int[] values) {
    public MaskedInput {
      requireNonNull(values, "values");
    }

    public long wireBytes() {
      return 4 + 4 + 4L * values.length;
    }
  }

  /**
   * Round 3, server → client: who sent a masked input (their self-mask seeds are to be revealed)
   * and who dropped after sharing (their mask keys are to be revealed). Never both for one client.
   */
  public record UnmaskRequest(Set<Integer> survivors, Set<Integer> dropped) {
    public UnmaskRequest {
      survivors = Set.copyOf(survivors);
      dropped = Set.copyOf(dropped);
    }

    public long wireBytes() {
      return 8 + 4L * (survivors.size() + dropped.size());
    }
  }

  /**
   * Round 3, client → server: the shares this client holds of the survivors' self-mask seeds and of
   * the dropped clients' mask keys, by the client they belong to.
   */
  public record UnmaskResponse(
      int id, Map<Integer, byte[]> seedShares, Map<Integer, byte[]> keyShares) {
    public UnmaskResponse {
      seedShares = Map.copyOf(seedShares);
      keyShares = Map.copyOf(keyShares);
    }

    public long wireBytes() {
      long n = 12;
      for (byte[] b : seedShares.values()) {
        n += 8 + b.length;
      }
      for (byte[] b : keyShares.values()) {
        n += 8 + b.length;
      }
      return n;
    }
  }
}
