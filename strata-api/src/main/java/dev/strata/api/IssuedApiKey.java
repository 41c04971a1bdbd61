package dev.strata.api;

import static java.util.Objects.requireNonNull;

/**
 * A just-created API key with its token: the only time the token is shown.
 *
 * @param key the key as listed
 * @param token the bearer token ({@code stk_<id>.<secret>})
 */
public record IssuedApiKey(ApiKey key, String token) {
  public IssuedApiKey {
    requireNonNull(key, "key");
    requireNonNull(token, "token");
  }

  @Override
  public String toString() {
    return "IssuedApiKey[key=" + key + ", token=***]";
  }
}
