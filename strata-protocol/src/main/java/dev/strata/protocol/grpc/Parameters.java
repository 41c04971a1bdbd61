package dev.strata.protocol.grpc;

import com.google.protobuf.ByteString;
import dev.strata.core.StrataException;
import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@link InferParameter} and {@link ModelRepositoryParameter} values as Java objects: bool as
 * Boolean, int64 as Long, string as String, double as Double, uint64 as Long when it fits and
 * BigInteger past that, bytes as byte[].
 */
final class Parameters {
  private Parameters() {}

  private static final BigInteger UINT64_LIMIT = BigInteger.ONE.shiftLeft(64);

  static Map<String, Object> fromInfer(Map<String, InferParameter> parameters) {
    if (parameters.isEmpty()) {
      return Map.of();
    }
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<String, InferParameter> e : parameters.entrySet()) {
      InferParameter p = e.getValue();
      switch (p.getParameterChoiceCase()) {
        case BOOL_PARAM -> out.put(e.getKey(), p.getBoolParam());
        case INT64_PARAM -> out.put(e.getKey(), p.getInt64Param());
        case STRING_PARAM -> out.put(e.getKey(), p.getStringParam());
        case DOUBLE_PARAM -> out.put(e.getKey(), p.getDoubleParam());
        case UINT64_PARAM -> {
          long v = p.getUint64Param();
          out.put(e.getKey(), v >= 0 ? (Object) v : new BigInteger(Long.toUnsignedString(v)));
        }
        case PARAMETERCHOICE_NOT_SET -> {}
      }
    }
    return out;
  }

  static InferParameter toInfer(String name, Object value) {
    InferParameter.Builder b = InferParameter.newBuilder();
    switch (value) {
      case Boolean v -> b.setBoolParam(v);
      case String v -> b.setStringParam(v);
      case Long v -> b.setInt64Param(v);
      case Integer v -> b.setInt64Param(v);
      case Short v -> b.setInt64Param(v);
      case Byte v -> b.setInt64Param(v);
      case Double v -> b.setDoubleParam(v);
      case Float v -> b.setDoubleParam(v);
      case BigInteger v -> {
        if (v.signum() < 0 || v.compareTo(UINT64_LIMIT) >= 0) {
          throw StrataException.invalid("parameter '%s': %s is outside int64 and uint64", name, v);
        }
        b.setUint64Param(v.longValue());
      }
      default -> b.setStringParam(String.valueOf(value));
    }
    return b.build();
  }

  static Map<String, InferParameter> toInfer(Map<String, Object> parameters) {
    if (parameters.isEmpty()) {
      return Map.of();
    }
    Map<String, InferParameter> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : parameters.entrySet()) {
      out.put(e.getKey(), toInfer(e.getKey(), e.getValue()));
    }
    return out;
  }

  static Map<String, Object> fromRepository(Map<String, ModelRepositoryParameter> parameters) {
    if (parameters.isEmpty()) {
      return Map.of();
    }
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<String, ModelRepositoryParameter> e : parameters.entrySet()) {
      ModelRepositoryParameter p = e.getValue();
      switch (p.getParameterChoiceCase()) {
        case BOOL_PARAM -> out.put(e.getKey(), p.getBoolParam());
        case INT64_PARAM -> out.put(e.getKey(), p.getInt64Param());
        case STRING_PARAM -> out.put(e.getKey(), p.getStringParam());
        case BYTES_PARAM -> out.put(e.getKey(), p.getBytesParam().toByteArray());
        case PARAMETERCHOICE_NOT_SET -> {}
      }
    }
    return out;
  }

  static Map<String, ModelRepositoryParameter> toRepository(Map<String, Object> parameters) {
    Map<String, ModelRepositoryParameter> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : parameters.entrySet()) {
      ModelRepositoryParameter.Builder b = ModelRepositoryParameter.newBuilder();
      switch (e.getValue()) {
        case Boolean v -> b.setBoolParam(v);
        case Long v -> b.setInt64Param(v);
        case Integer v -> b.setInt64Param(v);
        case byte[] v -> b.setBytesParam(ByteString.copyFrom(v));
        case Object v -> b.setStringParam(String.valueOf(v));
      }
      out.put(e.getKey(), b.build());
    }
    return out;
  }
}
