package dev.strata.federated.secagg;

import static java.util.Objects.requireNonNull;

import com.codahale.shamir.Scheme;
import dev.strata.core.StrataException;
import dev.strata.federated.secagg.Messages.EncryptedShare;
import dev.strata.federated.secagg.Messages.KeyAdvert;
import dev.strata.federated.secagg.Messages.MaskedInput;
import dev.strata.federated.secagg.Messages.UnmaskRequest;
import dev.strata.federated.secagg.Messages.UnmaskResponse;
import java.nio.ByteBuffer;
import java.security.KeyPair;
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
 * One client's side of a secure-aggregation round. Its input leaves it only as {@code x + PRG(b) +
 * Σ ±PRG(s_uv)} mod 2^32: the self mask {@code b} and the pairwise masks, which cancel in the sum
 * over the clients who masked; the seeds are Shamir-shared among the round's clients so that the
 * server can remove the masks of whoever drops, but never learns both secrets of one client. Used
 * once, in order: {@link #advertise}, {@link #shareKeys}, {@link #mask}, {@link #unmask}.
 */
public final class SecAggClient {
  private final int id;
  private final SecAggConfig config;
  private final SecureRandom random;
  private final KeyPair encryption;
  private final KeyPair masking;
  private final Map<Integer, PublicKey> maskKeys = new TreeMap<>();
  private final Map<Integer, byte[]> channelKeys = new HashMap<>();
  private final Map<Integer, byte[]> heldSeedShares = new TreeMap<>();
  private final Map<Integer, byte[]> heldKeyShares = new TreeMap<>();
  private final Set<Integer> sharers = new TreeSet<>();
  private byte[] selfSeed;
  private Stage stage = Stage.NEW;

  private enum Stage {
    NEW,
    ADVERTISED,
    SHARED,
    MASKED,
    DONE
  }

  public SecAggClient(int id, SecAggConfig config, SecureRandom random) {
    if (id < 1 || id > SecAggConfig.MAX_PARTICIPANTS) {
      throw StrataException.invalid(
          "secure aggregation client id: %d (expected: 1..%d)", id, SecAggConfig.MAX_PARTICIPANTS);
    }
    this.id = id;
    this.config = requireNonNull(config, "config");
    this.random = requireNonNull(random, "random");
    this.encryption = Crypto.x25519(random);
    this.masking = Crypto.x25519(random);
  }

  public int id() {
    return id;
  }

  /** Round 0: the two public keys. */
  public KeyAdvert advertise() {
    expect(Stage.NEW, "advertise");
    stage = Stage.ADVERTISED;
    return new KeyAdvert(id, encryption.getPublic().getEncoded(), masking.getPublic().getEncoded());
  }

  /**
   * Round 1: given every advertised client (this one included), Shamir-shares the self-mask seed
   * and the mask private key among them and seals each one's shares for it alone.
   */
  public List<EncryptedShare> shareKeys(List<KeyAdvert> adverts) {
    expect(Stage.ADVERTISED, "share keys");
    Map<Integer, KeyAdvert> byId = new TreeMap<>();
    for (KeyAdvert a : adverts) {
      if (byId.put(a.id(), a) != null) {
        throw StrataException.invalid("secure aggregation: client %d advertised twice", a.id());
      }
    }
    if (!byId.containsKey(id)) {
      throw StrataException.invalid(
          "secure aggregation: this client (%d) is not among the advertised", id);
    }
    if (byId.size() < config.threshold()) {
      throw StrataException.invalid(
          "secure aggregation: %d clients advertised keys (expected: at least the threshold %d)",
          byId.size(), config.threshold());
    }
    int n = byId.keySet().stream().mapToInt(Integer::intValue).max().orElseThrow();
    selfSeed = new byte[Crypto.SEED_BYTES];
    random.nextBytes(selfSeed);
    Scheme scheme = new Scheme(random, n, config.threshold());
    Map<Integer, byte[]> seedShares = scheme.split(selfSeed);
    Map<Integer, byte[]> keyShares = scheme.split(masking.getPrivate().getEncoded());
    List<EncryptedShare> out = new ArrayList<>();
    for (KeyAdvert a : byId.values()) {
      int v = a.id();
      maskKeys.put(v, Crypto.publicKey(a.maskKey(), "mask key of client " + v));
      if (v == id) {
        heldSeedShares.put(id, seedShares.get(id));
        heldKeyShares.put(id, keyShares.get(id));
        continue;
      }
      byte[] channel =
          Crypto.agree(
              encryption.getPrivate(),
              Crypto.publicKey(a.encryptionKey(), "encryption key of client " + v),
              "strata-secagg-share " + config.round());
      channelKeys.put(v, channel);
      byte[] s = seedShares.get(v);
      byte[] k = keyShares.get(v);
      byte[] plain =
          ByteBuffer.allocate(4 + s.length + 4 + k.length)
              .putInt(s.length)
              .put(s)
              .putInt(k.length)
              .put(k)
              .array();
      out.add(
          new EncryptedShare(
              id, v, Crypto.seal(channel, plain, Crypto.aad(config.round(), id, v), random)));
    }
    stage = Stage.SHARED;
    return out;
  }

  /**
   * Round 2: opens the shares the other clients sent this one (those clients are the ones whose
   * pairwise masks it adds) and masks {@code input}.
   */
  public MaskedInput mask(List<EncryptedShare> received, float[] input) {
    expect(Stage.SHARED, "mask");
    if (input.length != config.length()) {
      throw StrataException.invalid(
          "secure aggregation input: %d values (expected: %d)", input.length, config.length());
    }
    for (EncryptedShare e : received) {
      if (e.to() != id || e.from() == id) {
        throw StrataException.invalid(
            "secure aggregation: share from %d to %d delivered to client %d", e.from(), e.to(), id);
      }
      byte[] channel = channelKeys.get(e.from());
      if (channel == null) {
        throw StrataException.invalid(
            "secure aggregation: share from client %d, who did not advertise", e.from());
      }
      if (!sharers.add(e.from())) {
        throw StrataException.invalid("secure aggregation: two shares from client %d", e.from());
      }
      ByteBuffer b =
          ByteBuffer.wrap(
              Crypto.open(
                  channel,
                  e.ciphertext(),
                  Crypto.aad(config.round(), e.from(), id),
                  "share from client " + e.from()));
      heldSeedShares.put(e.from(), take(b));
      heldKeyShares.put(e.from(), take(b));
    }
    sharers.add(id);
    if (sharers.size() < config.threshold()) {
      throw StrataException.invalid(
          "secure aggregation: %d clients shared keys (expected: at least the threshold %d)",
          sharers.size(), config.threshold());
    }
    int[] y = FixedPoint.encode(input, config);
    add(y, Crypto.expand(selfSeed, y.length), 1);
    for (int v : sharers) {
      if (v != id) {
        add(y, pairwise(v), id < v ? 1 : -1);
      }
    }
    stage = Stage.MASKED;
    return new MaskedInput(id, y);
  }

  /**
   * Round 3: reveals the survivors' self-seed shares and the dropped clients' key shares, refusing
   * a request that would reveal both of one client's secrets or that names too few survivors.
   */
  public UnmaskResponse unmask(UnmaskRequest request) {
    expect(Stage.MASKED, "unmask");
    Set<Integer> survivors = request.survivors();
    Set<Integer> dropped = request.dropped();
    for (int v : survivors) {
      if (dropped.contains(v)) {
        throw StrataException.invalid(
            "secure aggregation: client %d named both surviving and dropped (refused: that would reveal its input)",
            v);
      }
      if (!sharers.contains(v)) {
        throw StrataException.invalid("secure aggregation: survivor %d never shared keys", v);
      }
    }
    if (!survivors.contains(id)) {
      throw StrataException.invalid(
          "secure aggregation: this client (%d) sent its input but is not named a survivor", id);
    }
    if (survivors.size() < config.threshold()) {
      throw StrataException.invalid(
          "secure aggregation: %d survivors (expected: at least the threshold %d)",
          survivors.size(), config.threshold());
    }
    Map<Integer, byte[]> seeds = new TreeMap<>();
    Map<Integer, byte[]> keys = new TreeMap<>();
    for (int v : survivors) {
      seeds.put(v, heldSeedShares.get(v));
    }
    for (int v : dropped) {
      if (!sharers.contains(v)) {
        throw StrataException.invalid("secure aggregation: dropped client %d never shared keys", v);
      }
      keys.put(v, heldKeyShares.get(v));
    }
    stage = Stage.DONE;
    return new UnmaskResponse(id, seeds, keys);
  }

  private int[] pairwise(int v) {
    byte[] seed =
        Crypto.agree(masking.getPrivate(), maskKeys.get(v), "strata-secagg-mask " + config.round());
    return Crypto.expand(seed, config.length());
  }

  static void add(int[] y, int[] mask, int sign) {
    for (int i = 0; i < y.length; i++) {
      y[i] += sign * mask[i];
    }
  }

  private static byte[] take(ByteBuffer b) {
    int n = b.getInt();
    if (n < 0 || n > b.remaining()) {
      throw StrataException.invalid("secure aggregation: malformed share (%d bytes announced)", n);
    }
    byte[] out = new byte[n];
    b.get(out);
    return out;
  }

  private void expect(Stage s, String what) {
    if (stage != s) {
      throw new IllegalStateException(
          "secure aggregation client " + id + ": cannot " + what + " at stage " + stage);
    }
  }
}
