package dev.strata.registry.model;

import static dev.strata.registry.StrataAssertions.assertCode;
import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.api.Artifact;
import dev.strata.api.CreateModelRequest;
import dev.strata.api.CreateVariantRequest;
import dev.strata.api.CreateVersionRequest;
import dev.strata.api.DeploymentSpec;
import dev.strata.api.Model;
import dev.strata.api.ModelSignature;
import dev.strata.api.ModelVersion;
import dev.strata.api.Selector;
import dev.strata.api.Stage;
import dev.strata.api.TensorSignature;
import dev.strata.api.UpdateVersionRequest;
import dev.strata.api.Variant;
import dev.strata.control.ManifestVerifier;
import dev.strata.core.ErrorCode;
import dev.strata.registry.RegistryFixture;
import dev.strata.registry.artifact.ArtifactContent;
import dev.strata.registry.testing.TestDb;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

@ParameterizedClass
@EnumSource(TestDb.class)
class ModelRegistryTest {
  @Parameter TestDb db;
  @TempDir Path dir;
  RegistryFixture fx;
  ModelRegistry models;

  @BeforeEach
  void open() {
    fx = new RegistryFixture(db, dir);
    models = fx.registry().models();
  }

  @AfterEach
  void close() {
    if (fx != null) { // null when the fixture could not open
      fx.close();
    }
  }

  private Artifact upload(String content) {
    return models.uploadArtifact(
        new ByteArrayInputStream(content.getBytes(StandardCharsets.UTF_8)), Optional.empty());
  }

  @Test
  void modelsVersionsAndVariants() throws IOException {
    models.createModel(
        new CreateModelRequest("resnet", "image classifier", Map.of("team", "vision")));
    assertCode(
        () -> models.createModel(CreateModelRequest.of("resnet")),
        ErrorCode.ALREADY_EXISTS,
        "resnet");

    ModelVersion v1 = models.createVersion("resnet", new CreateVersionRequest("first", Map.of()));
    ModelVersion v2 = models.createVersion("resnet", CreateVersionRequest.EMPTY);
    assertThat(v1.version()).isEqualTo(1);
    assertThat(v2.version()).isEqualTo(2);
    assertThat(v1.stage()).isEqualTo(Stage.STAGING);

    Artifact fp32 = upload("fp32 weights");
    Artifact int8 = upload("int8 weights");
    var signature =
        new ModelSignature(
            List.of(new TensorSignature("input", "FP32", List.of(-1L, 3L, 224L, 224L))),
            List.of(new TensorSignature("logits", "FP32", List.of(-1L, 1000L))));
    Variant cloud =
        models.addVariant(
            "resnet",
            1,
            new CreateVariantRequest(
                "fp32",
                "onnx",
                fp32.sha256(),
                signature,
                List.of("cat", "dog"),
                Map.of("accuracy", 0.91),
                Map.of("dataset", "imagenet-mini"),
                Map.of("target", "cloud")));
    models.addVariant("resnet", 1, CreateVariantRequest.onnx("int8", int8.sha256()));

    ModelVersion read = models.version("resnet", 1);
    assertThat(read.variants()).extracting(Variant::name).containsExactly("fp32", "int8");
    Variant back = models.variant("resnet", 1, "fp32");
    assertThat(back).isEqualTo(cloud);
    assertThat(back.signature().inputs().getFirst().toTensorSpec().shape().dim(1)).isEqualTo(3);
    assertThat(back.metrics()).containsEntry("accuracy", 0.91);
    assertThat(back.labels()).containsExactly("cat", "dog");
    assertThat(models.versions("resnet")).extracting(ModelVersion::version).containsExactly(2L, 1L);
    assertThat(models.model("resnet").latestVersion()).contains(2L);
    assertThat(models.models()).extracting(Model::name).containsExactly("resnet");

    // the manifest is signed by this cloud and matches the stored bytes
    var verifier = new ManifestVerifier(fx.registry().signer().publicKey());
    try (ArtifactContent c = models.openArtifact(back.sha256(), 0, Long.MAX_VALUE)) {
      assertThat(verifier.verifyArtifact(back.manifest(), c.stream()).variant()).isEqualTo("fp32");
    }
  }

  @Test
  void variantsAreImmutableAndNeedTheirArtifact() {
    Variant v = dev.strata.registry.TestModels.newVersion(models, "m", "fp32", "a");
    Artifact other = upload("b");
    assertCode(
        () ->
            models.addVariant("m", v.version(), CreateVariantRequest.onnx("fp32", other.sha256())),
        ErrorCode.ALREADY_EXISTS,
        "variants are immutable");
    String missing = dev.strata.control.Sha256.hex(new byte[] {42});
    assertCode(
        () -> models.addVariant("m", v.version(), CreateVariantRequest.onnx("int8", missing)),
        ErrorCode.FAILED_PRECONDITION,
        "not uploaded");
    assertCode(() -> models.variant("m", 1, "nope"), ErrorCode.NOT_FOUND, "variant nope");
    assertCode(() -> models.variant("m", 7, "fp32"), ErrorCode.NOT_FOUND, "version 7");
    assertCode(() -> models.variant("x", 1, "fp32"), ErrorCode.NOT_FOUND, "model x");
  }

  @Test
  void stagesMoveOnlyAlongAllowedTransitions() {
    Variant v = dev.strata.registry.TestModels.newVersion(models, "m", "fp32", "a");
    long n = v.version();
    assertThat(models.updateVersion("m", n, UpdateVersionRequest.stage(Stage.PRODUCTION)).stage())
        .isEqualTo(Stage.PRODUCTION);
    assertThat(models.latest("m", Stage.PRODUCTION)).map(ModelVersion::version).contains(n);
    models.updateVersion("m", n, UpdateVersionRequest.stage(Stage.ARCHIVED));
    assertCode(
        () -> models.updateVersion("m", n, UpdateVersionRequest.stage(Stage.PRODUCTION)),
        ErrorCode.FAILED_PRECONDITION,
        "archived cannot move to production");
    Artifact b = upload("b");
    assertCode(
        () -> models.addVariant("m", n, CreateVariantRequest.onnx("int8", b.sha256())),
        ErrorCode.FAILED_PRECONDITION,
        "archived");
    ModelVersion tagged =
        models.updateVersion(
            "m",
            n,
            new UpdateVersionRequest(Optional.of(Stage.STAGING), Optional.of(Map.of("ok", "yes"))));
    assertThat(tagged.tags()).containsEntry("ok", "yes");
    assertThat(tagged.stage()).isEqualTo(Stage.STAGING);
  }

  @Test
  void deployedVersionsCannotBeArchivedOrDeleted() {
    Variant v = dev.strata.registry.TestModels.newVersion(models, "m", "fp32", "a");
    fx.registry()
        .deployments()
        .apply("d", DeploymentSpec.edge("m", v.version(), "fp32", Selector.ALL));
    assertCode(
        () -> models.updateVersion("m", v.version(), UpdateVersionRequest.stage(Stage.ARCHIVED)),
        ErrorCode.FAILED_PRECONDITION,
        "deployed by [d]");
    assertCode(() -> models.deleteVersion("m", v.version()), ErrorCode.FAILED_PRECONDITION, "[d]");
    assertCode(
        () -> models.deleteModel("m"), ErrorCode.FAILED_PRECONDITION, "used by deployments [d]");
    fx.registry().deployments().delete("d");
    models.deleteVersion("m", v.version());
    models.deleteModel("m");
    assertCode(() -> models.model("m"), ErrorCode.NOT_FOUND, "model m");
  }

  @Test
  void oversizedUploadIsRefusedAndGarbageIsCollected() {
    byte[] big = new byte[(1 << 20) + 1];
    assertCode(
        () -> models.uploadArtifact(new ByteArrayInputStream(big), Optional.empty()),
        ErrorCode.PAYLOAD_TOO_LARGE,
        "more than");
    Variant kept = dev.strata.registry.TestModels.newVersion(models, "m", "fp32", "kept");
    Artifact orphan = upload("orphan");
    assertThat(models.collectGarbage(Duration.ofHours(1)).deleted()).isEmpty();
    fx.clock.advance(Duration.ofHours(2));
    assertThat(models.collectGarbage(Duration.ofHours(1)).deleted())
        .containsExactly(orphan.sha256());
    assertThat(models.artifact(kept.sha256()).size()).isEqualTo(4);
  }

  @Test
  void invalidNamesAreRefused() {
    assertCode(
        () -> CreateModelRequest.of("../etc"), ErrorCode.INVALID_ARGUMENT, "model name: ../etc");
    assertCode(
        () -> new CreateModelRequest("ok", "", Map.of("bad key!", "v")),
        ErrorCode.INVALID_ARGUMENT,
        "tag key: bad key!");
  }
}
