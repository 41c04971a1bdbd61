package dev.strata.compress.cli;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.strata.api.CloudApiClient;
import dev.strata.api.CreateVariantRequest;
import dev.strata.api.ModelSignature;
import dev.strata.api.TensorSignature;
import dev.strata.api.Variant;
import dev.strata.core.StrataException;
import dev.strata.onnx.OnnxModels;
import dev.strata.preprocess.ModelLabels;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The {@code --publish} options of the compress commands: the result registered on a cloud as a
 * variant of its parent version, checked before any work so that a mistake costs nothing.
 */
public final class PublishOptions {
  @Option(
      names = "--publish",
      paramLabel = "CLOUD_URL",
      description =
          "Register the result on this cloud as a variant of --model-name version --version"
              + " (admin token from --admin-token-file or $STRATA_ADMIN_TOKEN).")
  URI publish;

  @Option(names = "--model-name", paramLabel = "M", description = "The registered parent model.")
  String modelName;

  @Option(names = "--version", paramLabel = "V", description = "The parent's version.")
  Long version;

  @Option(
      names = "--variant",
      paramLabel = "NAME",
      description = "The variant's name (default: from the method, e.g. int8 or pruned-50).")
  String variant;

  @Option(
      names = "--admin-token-file",
      paramLabel = "FILE",
      description = "File holding the cloud's admin token (or set STRATA_ADMIN_TOKEN).")
  Path adminTokenFile;

  /** A publisher when --publish is given (the parent checked to exist), else null. */
  Publisher publisher(String defaultVariant) throws IOException {
    if (publish == null) {
      return null;
    }
    if (modelName == null || version == null) {
      throw StrataException.invalid("--publish needs --model-name and --version (the parent)");
    }
    String token;
    if (adminTokenFile != null) {
      token = Files.readString(adminTokenFile, StandardCharsets.UTF_8).strip();
    } else {
      token = System.getenv().getOrDefault("STRATA_ADMIN_TOKEN", "").strip();
    }
    if (token.isEmpty()) {
      throw StrataException.invalid(
          "--publish needs the cloud's admin token: --admin-token-file FILE or STRATA_ADMIN_TOKEN");
    }
    Publisher p =
        new Publisher(
            CloudApiClient.create(publish, token), variant != null ? variant : defaultVariant);
    p.checkParent();
    return p;
  }

  /** Registers a written result as a variant of the parent version. */
  final class Publisher {
    private final CloudApiClient cloud;
    private final String name;

    Publisher(CloudApiClient cloud, String name) {
      this.cloud = cloud;
      this.name = name;
    }

    private void checkParent() {
      var v = cloud.version(modelName, version); // NOT_FOUND names what is missing
      if (v.variants().stream().anyMatch(x -> x.name().equals(name))) {
        throw StrataException.invalid(
            "%s version %d already has a variant '%s' (variants are immutable; choose another"
                + " --variant)",
            modelName, version, name);
      }
    }

    /** Publishes as {@link #publish(Path, Map, Map)} does and says so on {@code w}. */
    Variant publish(
        java.io.PrintWriter w, Path file, Map<String, Double> metrics, Map<String, String> prov)
        throws IOException {
      Variant v = publish(file, metrics, prov);
      w.printf(
          "published %s version %d variant %s (sha256 %s) on %s%n",
          modelName, version, v.name(), v.sha256(), publish);
      return v;
    }

    /** Uploads {@code file} and registers it with its signature, labels, metrics, provenance. */
    Variant publish(Path file, Map<String, Double> metrics, Map<String, String> provenance)
        throws IOException {
      String sha = CloudApiClient.sha256(file);
      ModelProto p = OnnxModels.readDescription(file);
      var signature =
          new ModelSignature(
              OnnxModels.inputs(p).stream().map(TensorSignature::of).toList(),
              OnnxModels.outputs(p).stream().map(TensorSignature::of).toList());
      Map<String, String> meta = OnnxModels.metadata(p);
      List<String> labels = ModelLabels.read(file.toString(), meta);
      Map<String, String> prov = new java.util.LinkedHashMap<>(provenance);
      prov.put("parent_version", Long.toString(version));
      cloud.uploadArtifact(file, sha);
      return cloud.addVariant(
          modelName,
          version,
          new CreateVariantRequest(name, "onnx", sha, signature, labels, metrics, prov, Map.of()));
    }
  }
}
