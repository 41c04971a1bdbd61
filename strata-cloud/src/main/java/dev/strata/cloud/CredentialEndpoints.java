package dev.strata.cloud;

import dev.strata.api.ApiKey;
import dev.strata.api.CreateApiKeyRequest;
import dev.strata.api.IssuedApiKey;
import dev.strata.api.SigningKey;
import dev.strata.registry.auth.ApiKeys;
import dev.strata.registry.auth.NodePrincipal;
import dev.strata.registry.auth.UserPrincipal;
import dev.strata.registry.manifest.ManifestSigner;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** API keys, {@code whoami} and the public manifest-signing key. */
final class CredentialEndpoints {
  private final ApiKeys apiKeys;
  private final ManifestSigner signer;
  private final Runnable onRevoke;

  CredentialEndpoints(ApiKeys apiKeys, ManifestSigner signer, Runnable onRevoke) {
    this.apiKeys = apiKeys;
    this.signer = signer;
    this.onRevoke = onRevoke;
  }

  List<Endpoint> endpoints() {
    return List.of(
        new Endpoint(
            "POST",
            "/api/v1/api-keys",
            Access.ADMIN,
            false,
            "Create an API key with a role (its token is shown once)",
            r -> {
              IssuedApiKey k = apiKeys.create(r.json(CreateApiKeyRequest.class));
              return Responses.created(k, "/api/v1/api-keys/" + k.key().id());
            }),
        new Endpoint(
            "GET",
            "/api/v1/api-keys",
            Access.ADMIN,
            false,
            "List API keys (never their secrets)",
            r -> Responses.items(apiKeys.list())),
        new Endpoint(
            "GET",
            "/api/v1/api-keys/{id}",
            Access.ADMIN,
            false,
            "An API key",
            r -> Responses.ok(apiKeys.get(r.param("id")))),
        new Endpoint(
            "DELETE",
            "/api/v1/api-keys/{id}",
            Access.ADMIN,
            false,
            "Revoke an API key (kept for audit)",
            r -> {
              ApiKey k = apiKeys.revoke(r.param("id"));
              onRevoke.run();
              return Responses.ok(k);
            }),
        new Endpoint(
            "GET",
            "/api/v1/whoami",
            Access.ANY,
            false,
            "The caller's identity",
            r -> Responses.ok(whoami(r))),
        new Endpoint(
            "GET",
            "/api/v1/signing-key",
            Access.PUBLIC,
            false,
            "The Ed25519 public key manifests are signed with",
            r -> Responses.ok(SigningKey.ed25519(signer.keyId(), signer.publicKeyBase64()))));
  }

  private static Map<String, Object> whoami(ApiRequest r) {
    Map<String, Object> out = new LinkedHashMap<>();
    switch (r.principal()) {
      case UserPrincipal u -> {
        out.put("type", "user");
        out.put("id", u.id());
        out.put("name", u.name());
        out.put("role", u.role());
      }
      case NodePrincipal n -> {
        out.put("type", "node");
        out.put("id", n.id());
        out.put("name", n.name());
      }
    }
    return out;
  }
}
