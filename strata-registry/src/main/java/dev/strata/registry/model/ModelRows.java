package dev.strata.registry.model;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.strata.api.Model;
import dev.strata.api.ModelSignature;
import dev.strata.api.ModelVersion;
import dev.strata.api.Stage;
import dev.strata.api.Variant;
import dev.strata.control.Json;
import dev.strata.control.SignedManifest;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Maps rows of the model tables to records. */
final class ModelRows {
  private static final TypeReference<Map<String, Double>> METRICS = new TypeReference<>() {};

  private ModelRows() {}

  static ModelVersion withVariants(ModelVersion v, List<Variant> variants) {
    return new ModelVersion(
        v.model(),
        v.version(),
        v.stage(),
        v.description(),
        v.tags(),
        variants,
        v.createdAt(),
        v.updatedAt());
  }

  static Model mapModel(ResultSet rs) throws SQLException {
    long next = rs.getLong("next_version");
    return new Model(
        rs.getString("name"),
        rs.getString("description"),
        Json.readStringMap(rs.getString("tags")),
        next > 1 ? Optional.of(next - 1) : Optional.empty(),
        Instant.ofEpochMilli(rs.getLong("created_at")));
  }

  static ModelVersion mapVersion(ResultSet rs, List<Variant> variants) throws SQLException {
    return new ModelVersion(
        rs.getString("model"),
        rs.getLong("version"),
        Stage.valueOf(rs.getString("stage")),
        rs.getString("description"),
        Json.readStringMap(rs.getString("tags")),
        variants,
        Instant.ofEpochMilli(rs.getLong("created_at")),
        Instant.ofEpochMilli(rs.getLong("updated_at")));
  }

  static Variant mapVariant(ResultSet rs) throws SQLException {
    return new Variant(
        rs.getString("model"),
        rs.getLong("version"),
        rs.getString("name"),
        rs.getString("format"),
        rs.getString("sha256"),
        rs.getLong("size_bytes"),
        Json.read(rs.getString("signature"), ModelSignature.class),
        Json.readStringList(rs.getString("labels")),
        Json.read(rs.getString("metrics"), METRICS),
        Json.readStringMap(rs.getString("provenance")),
        Json.readStringMap(rs.getString("tags")),
        Json.read(rs.getString("manifest"), SignedManifest.class),
        Instant.ofEpochMilli(rs.getLong("created_at")));
  }
}
