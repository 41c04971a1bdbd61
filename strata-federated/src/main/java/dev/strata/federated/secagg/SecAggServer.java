package dev.strata.federated.secagg;

import static java.util.Objects.requireNonNull;

import com.codahale.shamir.Scheme;
import dev.strata.core.StrataException;
import dev.strata.federated.secagg.Messages.EncryptedShare;
import dev.strata.federated.secagg.Messages.KeyAdvert;
import dev.strata.federated.secagg.Messages.MaskedInput;
import dev.strata.federated.secagg.Messages.UnmaskRequest;
import dev.strata.federated.secagg.Messages.UnmaskResponse;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The server's side of a secure-aggregation round: relays keys and sealed shares, adds the masked
 * inputs, and with the shares of at least {@code threshold} survivors removes every mask — the
 * survivors' self masks and the pairwise masks they shared with clients who dropped after sharing.
 * It learns the sum of the survivors' inputs and nothing else about any one of them. A client that
 * drops before sending its shares is left out of the round as if it had never joined.
 */
public final class SecAggServer {
  private final SecAggConfig config;
  private final Map<Integer, KeyAdvert> adverts = new TreeMap<>();
  private final Map<Integer, List<EncryptedShare>> shares = new TreeMap<>();
  private final Map<Integer, MaskedInput> inputs = new TreeMap<>();
  private final Map<Integer, UnmaskResponse> responses = new TreeMap<>();
  private UnmaskRequest request;

  public SecAggServer(SecAggConfig config) {
    this.config = requireNonNull(config, "config");
  }

  public SecAggConfig config() {
    return config;
  }

  public void receive(KeyAdvert a) {
    if (!shares.isEmpty()) {
      throw StrataException.invalid(
          "secure aggregation: keys from client %d after sharing began", a.id());
    }
    Crypto.publicKey(a.encryptionKey(), "encryption key of client " + a.id());
    Crypto.publicKey(a.maskKey(), "mask key of client " + a.id());
    if (adverts.putIfAbsent(a.id(), a) != null) {
      throw StrataException.invalid("secure aggregation: client %d advertised twice", a.id());
    }
  }

  /** Every advertised client's keys, to send to all of them. */
  public List<KeyAdvert> adverts() {
    return List.copyOf(adverts.values());
  }

  /** One client's sealed shares, one for every other advertised client. */
  public void receiveShares(int from, List<EncryptedShare> sealed) {
    if (!adverts.containsKey(from)) {
      throw StrataException.invalid(
          "secure aggregation: shares from client %d, who did not advertise", from);
    }
    if (!inputs.isEmpty()) {
      throw StrataException.invalid(
          "secure aggregation: shares from client %d after masking began", from);
    }
    Set<Integer> to = new TreeSet<>();
    for (EncryptedShare e : sealed) {
      if (e.from() != from || !adverts.containsKey(e.to()) || e.to() == from || !to.add(e.to())) {
        throw StrataException.invalid(
            "secure aggregation: client %d sent a share from %d to %d", from, e.from(), e.to());
      }
    }
    if (to.size() != adverts.size() - 1) {
      throw StrataException.invalid(
          "secure aggregation: client %d sent %d shares (expected: %d, one per other client)",
          from, to.size(), adverts.size() - 1);
    }
    if (shares.putIfAbsent(from, List.copyOf(sealed)) != null) {
      throw StrataException.invalid("secure aggregation: client %d sent its shares twice", from);
    }
  }

  /** The clients who sent their shares (U2). */
  public Set<Integer> sharers() {
    return Set.copyOf(shares.keySet());
  }

  /** The sealed shares for client {@code to} from every client who shared. */
  public List<EncryptedShare> sharesFor(int to) {
    if (!shares.containsKey(to)) {
      throw StrataException.invalid(
          "secure aggregation: client %d did not share, so it gets no shares", to);
    }
    List<EncryptedShare> out = new ArrayList<>();
    for (List<EncryptedShare> l : shares.values()) {
      for (EncryptedShare e : l) {
        if (e.to() == to) {
          out.add(e);
        }
      }
    }
    return out;
  }

  public void receive(MaskedInput m) {
    if (!shares.containsKey(m.id())) {
      throw StrataException.invalid(
          "secure aggregation: input from client %d, who did not share keys", m.id());
    }
    if (request != null) {
      throw StrataException.invalid(
          "secure aggregation: input from client %d after unmasking began", m.id());
    }
    if (m.values().length != config.length()) {
      throw StrataException.invalid(
          "secure aggregation: input of client %d has %d values (expected: %d)",
          m.id(), m.values().length, config.length());
    }
    if (inputs.putIfAbsent(m.id(), m) != null) {
      throw StrataException.invalid("secure aggregation: client %d sent its input twice", m.id());
    }
  }

  /**
   * Closes masking: the clients who sent an input survive, those who shared but sent none have
   * dropped. Fails when fewer than the threshold survived (the round cannot be unmasked).
   */
  public UnmaskRequest unmaskRequest() {
    if (request == null) {
      if (inputs.size() < config.threshold()) {
        throw StrataException.invalid(
            "secure aggregation: %d clients sent their input (expected: at least the threshold %d)",
            inputs.size(), config.threshold());
      }
      Set<Integer> dropped = new TreeSet<>(shares.keySet());
      dropped.removeAll(inputs.keySet());
      request = new UnmaskRequest(inputs.keySet(), dropped);
    }
    return request;
  }

  public void receive(UnmaskResponse r) {
    if (request == null || !request.survivors().contains(r.id())) {
      throw StrataException.invalid(
          "secure aggregation: unmasking answer from client %d, who was not asked", r.id());
    }
    if (!r.seedShares().keySet().equals(request.survivors())
        || !r.keyShares().keySet().equals(request.dropped())) {
      throw StrataException.invalid(
          "secure aggregation: client %d answered for other clients than asked", r.id());
    }
    if (responses.putIfAbsent(r.id(), r) != null) {
      throw StrataException.invalid("secure aggregation: client %d answered twice", r.id());
    }
  }

  /** The survivors' inputs summed (after decoding), given answers from at least the threshold. */
  public float[] sum() {
    if (request == null || responses.size() < config.threshold()) {
      throw StrataException.invalid(
          "secure aggregation: %d unmasking answers (expected: at least the threshold %d)",
          responses.size(), config.threshold());
    }
    int n = config.length();
    int[] total = new int[n];
    for (MaskedInput m : inputs.values()) {
      SecAggClient.add(total, m.values(), 1);
    }
    int most = adverts.keySet().stream().mapToInt(Integer::intValue).max().orElseThrow();
    // join only interpolates: the random source and n are not used, k is checked by our count
    Scheme scheme = new Scheme(new SecureRandom(), most, config.threshold());
    for (int u : request.survivors()) {
      Map<Integer, byte[]> parts = new HashMap<>();
      for (UnmaskResponse r : responses.values()) {
        parts.put(r.id(), r.seedShares().get(u));
      }
      byte[] seed = scheme.join(parts);
      SecAggClient.add(total, Crypto.expand(seed, n), -1);
    }
    for (int v : request.dropped()) {
      Map<Integer, byte[]> parts = new HashMap<>();
      for (UnmaskResponse r : responses.values()) {
        parts.put(r.id(), r.keyShares().get(v));
      }
      PrivateKey key =
          Crypto.privateKey(scheme.join(parts), "reconstructed mask key of client " + v);
      for (int u : request.survivors()) {
        PublicKey pu = Crypto.publicKey(adverts.get(u).maskKey(), "mask key of client " + u);
        byte[] seed = Crypto.agree(key, pu, "strata-secagg-mask " + config.round());
        // survivor u added sign(u, v) * PRG(s_uv); take it out
        SecAggClient.add(total, Crypto.expand(seed, n), u < v ? -1 : 1);
      }
    }
    return FixedPoint.decode(total, config);
  }

  /** The survivors (whose inputs the sum holds), once masking is closed. */
  public Set<Integer> survivors() {
    return request == null ? Set.of() : request.survivors();
  }
}
