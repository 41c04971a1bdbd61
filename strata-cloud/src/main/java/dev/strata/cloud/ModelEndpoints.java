package dev.strata.cloud;

import dev.strata.api.CreateModelRequest;
import dev.strata.api.CreateVariantRequest;
import dev.strata.api.CreateVersionRequest;
import dev.strata.api.Model;
import dev.strata.api.ModelVersion;
import dev.strata.api.Stage;
import dev.strata.api.UpdateModelRequest;
import dev.strata.api.UpdateVersionRequest;
import dev.strata.api.Variant;
import dev.strata.core.StrataException;
import dev.strata.registry.model.ModelRegistry;
import java.util.List;

/** {@code /api/v1/models}: models, their versions and variants. */
final class ModelEndpoints {
  private final ModelRegistry models;

  ModelEndpoints(ModelRegistry models) {
    this.models = models;
  }

  List<Endpoint> endpoints() {
    String model = "/api/v1/models/{model}";
    String version = model + "/versions/{version}";
    return List.of(
        new Endpoint(
            "POST",
            "/api/v1/models",
            Access.DEPLOYER,
            false,
            "Register a model",
            r -> {
              Model m = models.createModel(r.json(CreateModelRequest.class));
              return Responses.created(m, "/api/v1/models/" + m.name());
            }),
        new Endpoint(
            "GET",
            "/api/v1/models",
            Access.VIEWER,
            false,
            "List models",
            r -> Responses.items(models.models())),
        new Endpoint(
            "GET",
            model,
            Access.VIEWER,
            false,
            "A model",
            r -> Responses.ok(models.model(r.param("model")))),
        new Endpoint(
            "PATCH",
            model,
            Access.DEPLOYER,
            false,
            "Change a model's description or tags",
            r ->
                Responses.ok(
                    models.updateModel(r.param("model"), r.json(UpdateModelRequest.class)))),
        new Endpoint(
            "DELETE",
            model,
            Access.ADMIN,
            false,
            "Delete a model with its versions",
            r -> {
              models.deleteModel(r.param("model"));
              return Responses.noContent();
            }),
        new Endpoint(
            "POST",
            model + "/versions",
            Access.DEPLOYER,
            false,
            "Create the next version",
            r -> {
              ModelVersion v =
                  models.createVersion(
                      r.param("model"),
                      r.jsonOr(CreateVersionRequest.class, CreateVersionRequest.EMPTY));
              return Responses.created(
                  v, "/api/v1/models/" + v.model() + "/versions/" + v.version());
            }),
        new Endpoint(
            "GET",
            model + "/versions",
            Access.VIEWER,
            false,
            "List versions, newest first",
            r -> Responses.items(models.versions(r.param("model")))),
        new Endpoint(
            "GET",
            model + "/versions:latest",
            Access.VIEWER,
            false,
            "The newest version, of a stage with ?stage=",
            r -> Responses.ok(latest(r))),
        new Endpoint(
            "GET",
            version,
            Access.VIEWER,
            false,
            "A version with its variants",
            r -> Responses.ok(models.version(r.param("model"), r.longParam("version")))),
        new Endpoint(
            "PATCH",
            version,
            Access.DEPLOYER,
            false,
            "Change a version's stage or tags",
            r ->
                Responses.ok(
                    models.updateVersion(
                        r.param("model"),
                        r.longParam("version"),
                        r.json(UpdateVersionRequest.class)))),
        new Endpoint(
            "DELETE",
            version,
            Access.ADMIN,
            false,
            "Delete a version no deployment refers to",
            r -> {
              models.deleteVersion(r.param("model"), r.longParam("version"));
              return Responses.noContent();
            }),
        new Endpoint(
            "POST",
            version + "/variants",
            Access.DEPLOYER,
            false,
            "Add a variant whose artifact is uploaded (signs its manifest)",
            r -> {
              Variant v =
                  models.addVariant(r.param("model"), r.longParam("version"), variantRequest(r));
              return Responses.created(
                  v,
                  "/api/v1/models/"
                      + v.model()
                      + "/versions/"
                      + v.version()
                      + "/variants/"
                      + v.name());
            }),
        new Endpoint(
            "GET",
            version + "/variants/{variant}",
            Access.VIEWER,
            false,
            "A variant with its signed manifest",
            r ->
                Responses.ok(
                    models.variant(r.param("model"), r.longParam("version"), r.param("variant")))));
  }

  /** A variant request; a left-out signature means the uploader did not say (empty lists). */
  static CreateVariantRequest variantRequest(ApiRequest r) {
    com.fasterxml.jackson.databind.node.ObjectNode body =
        r.json(com.fasterxml.jackson.databind.node.ObjectNode.class);
    if (!body.hasNonNull("signature")) {
      body.putObject("signature");
    }
    return ApiRequest.parse(dev.strata.control.Json.writeBytes(body), CreateVariantRequest.class);
  }

  private ModelVersion latest(ApiRequest r) {
    String model = r.param("model");
    if (r.query("stage").isEmpty()) {
      List<ModelVersion> all = models.versions(model);
      if (all.isEmpty()) {
        throw StrataException.notFound("model %s: no versions", model);
      }
      return all.getFirst();
    }
    Stage stage = Stage.parse(r.query("stage").get());
    return models
        .latest(model, stage)
        .orElseThrow(
            () ->
                StrataException.notFound(
                    "model %s: no version in stage %s", model, stage.wireName()));
  }
}
