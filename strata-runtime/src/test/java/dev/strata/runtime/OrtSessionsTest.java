package dev.strata.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtException.OrtErrorCode;
import org.junit.jupiter.api.Test;

/** Which failures of a run are the request's, and what the client is told about them. */
class OrtSessionsTest {
  static OrtException ort(OrtErrorCode code, String message) {
    return new OrtException(code, message);
  }

  @Test
  void aNodeFailingOnTheRequestsShapesIsTheRequestsFaultWithoutOrtsInternals() {
    OrtException e =
        ort(
            OrtErrorCode.ORT_RUNTIME_EXCEPTION,
            "Non-zero status code returned while running Add node. Name:'/encoder/Add' Status"
                + " Message: /onnxruntime_src/onnxruntime/core/providers/cpu/math/element_wise_ops.h:560"
                + " void onnxruntime::BroadcastIterator::Append(ptrdiff_t, ptrdiff_t) axis == 1 ||"
                + " axis == largest was false. Attempting to broadcast an axis by a dimension other"
                + " than 1. 3 by 4");
    assertThat(OrtSessions.causedByRequest(e)).isTrue();
    assertThat(OrtSessions.shortMessage(e))
        .isEqualTo(
            "Add node '/encoder/Add': Attempting to broadcast an axis by a dimension other than 1."
                + " 3 by 4");
  }

  @Test
  void invalidArgumentIsTheRequestsFault() {
    OrtException e =
        ort(
            OrtErrorCode.ORT_INVALID_ARGUMENT,
            "[ONNXRuntimeError] : 2 : INVALID_ARGUMENT : Non-zero status code returned while"
                + " running Gather node. Name:'g' Status Message: indices element out of data"
                + " bounds, idx=513 must be within the inclusive range [-512,511]");
    assertThat(OrtSessions.causedByRequest(e)).isTrue();
    assertThat(OrtSessions.shortMessage(e))
        .isEqualTo(
            "Gather node 'g': indices element out of data bounds, idx=513 must be within the"
                + " inclusive range [-512,511]");
  }

  @Test
  void allocationAndEngineFailuresAreTheServers() {
    assertThat(
            OrtSessions.causedByRequest(
                ort(
                    OrtErrorCode.ORT_RUNTIME_EXCEPTION,
                    "Non-zero status code returned while running MatMul node. Name:'m' Status"
                        + " Message: Failed to allocate memory for requested buffer of size 1")))
        .isFalse();
    assertThat(OrtSessions.causedByRequest(ort(OrtErrorCode.ORT_RUNTIME_EXCEPTION, "bad state")))
        .isFalse();
    assertThat(OrtSessions.causedByRequest(ort(OrtErrorCode.ORT_ENGINE_ERROR, "engine"))).isFalse();
  }
}
