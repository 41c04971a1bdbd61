package dev.strata.onnx;

import ai.onnx.proto.OnnxMl.TensorProto;
import dev.strata.core.DataType;
import dev.strata.core.StrataException;

/** Maps Strata's datatypes to ONNX element types and back. */
public final class OnnxTypes {
  private OnnxTypes() {}

  public static TensorProto.DataType toOnnx(DataType type) {
    return switch (type) {
      case BOOL -> TensorProto.DataType.BOOL;
      case UINT8 -> TensorProto.DataType.UINT8;
      case UINT16 -> TensorProto.DataType.UINT16;
      case UINT32 -> TensorProto.DataType.UINT32;
      case UINT64 -> TensorProto.DataType.UINT64;
      case INT8 -> TensorProto.DataType.INT8;
      case INT16 -> TensorProto.DataType.INT16;
      case INT32 -> TensorProto.DataType.INT32;
      case INT64 -> TensorProto.DataType.INT64;
      case FP16 -> TensorProto.DataType.FLOAT16;
      case BF16 -> TensorProto.DataType.BFLOAT16;
      case FP32 -> TensorProto.DataType.FLOAT;
      case FP64 -> TensorProto.DataType.DOUBLE;
      case BYTES -> TensorProto.DataType.STRING;
    };
  }

  public static DataType fromOnnx(int elemType) {
    TensorProto.DataType t = TensorProto.DataType.forNumber(elemType);
    if (t == null) {
      throw StrataException.invalid("ONNX element type %d is unknown", elemType);
    }
    return switch (t) {
      case BOOL -> DataType.BOOL;
      case UINT8 -> DataType.UINT8;
      case UINT16 -> DataType.UINT16;
      case UINT32 -> DataType.UINT32;
      case UINT64 -> DataType.UINT64;
      case INT8 -> DataType.INT8;
      case INT16 -> DataType.INT16;
      case INT32 -> DataType.INT32;
      case INT64 -> DataType.INT64;
      case FLOAT16 -> DataType.FP16;
      case BFLOAT16 -> DataType.BF16;
      case FLOAT -> DataType.FP32;
      case DOUBLE -> DataType.FP64;
      case STRING -> DataType.BYTES;
      default -> throw StrataException.invalid("ONNX element type %s has no Strata datatype", t);
    };
  }
}
