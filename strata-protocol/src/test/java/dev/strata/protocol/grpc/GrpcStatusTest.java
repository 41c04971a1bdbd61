package dev.strata.protocol.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class GrpcStatusTest {

  @ParameterizedTest
  @CsvSource({
    "INVALID_ARGUMENT, INVALID_ARGUMENT",
    "NOT_FOUND, NOT_FOUND",
    "ALREADY_EXISTS, ALREADY_EXISTS",
    "FAILED_PRECONDITION, FAILED_PRECONDITION",
    "PAYLOAD_TOO_LARGE, RESOURCE_EXHAUSTED",
    "RESOURCE_EXHAUSTED, RESOURCE_EXHAUSTED",
    "UNAVAILABLE, UNAVAILABLE",
    "DEADLINE_EXCEEDED, DEADLINE_EXCEEDED",
    "CANCELLED, CANCELLED",
    "UNAUTHENTICATED, UNAUTHENTICATED",
    "PERMISSION_DENIED, PERMISSION_DENIED",
    "UNIMPLEMENTED, UNIMPLEMENTED",
    "INTERNAL, INTERNAL",
  })
  void mapsEveryErrorCode(ErrorCode code, Status.Code grpc) {
    assertThat(GrpcStatus.code(code)).isEqualTo(grpc);
  }

  @ParameterizedTest
  @EnumSource(ErrorCode.class)
  void everyCodeSurvivesAServerToClientTripExactly(ErrorCode code) {
    StatusRuntimeException sent = GrpcStatus.toStatusException(new StrataException(code, "why"));
    assertThat(sent.getStatus().getCode()).isEqualTo(GrpcStatus.code(code));
    assertThat(sent.getStatus().getDescription()).isEqualTo("why");
    StrataException back = GrpcStatus.toStrataException(sent);
    assertThat(back.code()).isEqualTo(code);
    assertThat(back).hasMessage("why");
  }

  @Test
  void standardCodesWithoutTheTrailerMapBack() {
    assertThat(
            GrpcStatus.toStrataException(
                    Status.RESOURCE_EXHAUSTED.withDescription("x").asRuntimeException())
                .code())
        .isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
    assertThat(GrpcStatus.errorCode(Status.Code.OUT_OF_RANGE))
        .isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(GrpcStatus.errorCode(Status.Code.ABORTED)).isEqualTo(ErrorCode.FAILED_PRECONDITION);
    assertThat(GrpcStatus.errorCode(Status.Code.UNKNOWN)).isEqualTo(ErrorCode.INTERNAL);
    assertThat(GrpcStatus.errorCode(Status.Code.DATA_LOSS)).isEqualTo(ErrorCode.INTERNAL);
    StrataException noDescription =
        GrpcStatus.toStrataException(Status.UNAVAILABLE.asRuntimeException());
    assertThat(noDescription.code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(noDescription).hasMessage("UNAVAILABLE");
  }

  @Test
  void unexpectedFailuresDoNotLeakTheirMessage() {
    StatusRuntimeException e =
        GrpcStatus.toStatusException(
            new CompletionException(new IllegalStateException("secret path /x")));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
    assertThat(e.getStatus().getDescription()).isEqualTo("internal error");
    assertThat(GrpcStatus.toStatusException(new CancellationException()).getStatus().getCode())
        .isEqualTo(Status.Code.CANCELLED);
    Metadata trailers = new Metadata();
    StatusRuntimeException passthrough = Status.ABORTED.asRuntimeException(trailers);
    assertThat(GrpcStatus.toStatusException(passthrough)).isSameAs(passthrough);
  }
}
