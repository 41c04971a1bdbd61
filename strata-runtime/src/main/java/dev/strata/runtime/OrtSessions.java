package dev.strata.runtime;

import static java.util.Objects.requireNonNull;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions;
import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import java.nio.file.Path;

/**
 * The one place where Strata sets up ONNX Runtime sessions: the process-wide environment and the
 * session options every instance uses. A benchmark's in-process baseline calls {@link #open(Path,
 * SessionSettings)} to get a session set up exactly as the server's.
 *
 * <p>The options: graph optimisation ALL, sequential execution, the given intra- and inter-op
 * thread counts, no spinning of idle pool threads (spinning burns the cores the server's other
 * threads need), and the CPU arena on or off.
 */
public final class OrtSessions {
  private OrtSessions() {}

  /** The process's ONNX Runtime environment (created once, logging warnings and above). */
  public static OrtEnvironment environment() {
    return OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING, "strata");
  }

  /** New session options for these settings; the caller closes them. */
  public static SessionOptions options(SessionSettings settings) throws OrtException {
    requireNonNull(settings, "settings");
    SessionOptions options = new SessionOptions();
    try {
      options.setOptimizationLevel(SessionOptions.OptLevel.ALL_OPT);
      options.setExecutionMode(SessionOptions.ExecutionMode.SEQUENTIAL);
      options.setIntraOpNumThreads(settings.intraOpThreads());
      options.setInterOpNumThreads(settings.interOpThreads());
      options.addConfigEntry("session.intra_op.allow_spinning", "0");
      options.addConfigEntry("session.inter_op.allow_spinning", "0");
      options.setCPUArenaAllocator(settings.cpuArena());
      return options;
    } catch (OrtException | RuntimeException e) {
      options.close();
      throw e;
    }
  }

  /**
   * Opens a session over a model file with these settings.
   *
   * @throws StrataException INVALID_ARGUMENT naming the file when ONNX Runtime rejects it
   */
  public static OrtSession open(Path model, SessionSettings settings) {
    requireNonNull(model, "model");
    try (SessionOptions options = options(settings)) {
      return environment().createSession(model.toString(), options);
    } catch (OrtException e) {
      throw new StrataException(
          errorCode(e), model + ": ONNX Runtime cannot load it (" + e.getMessage() + ")", e);
    }
  }

  /** The Strata code for an ONNX Runtime failure. */
  static ErrorCode errorCode(OrtException e) {
    return switch (e.getCode()) {
      case ORT_INVALID_ARGUMENT,
          ORT_NO_SUCHFILE,
          ORT_NO_MODEL,
          ORT_INVALID_PROTOBUF,
          ORT_INVALID_GRAPH,
          ORT_NOT_FOUND ->
          ErrorCode.INVALID_ARGUMENT;
      case ORT_NOT_IMPLEMENTED -> ErrorCode.UNIMPLEMENTED;
      default -> ErrorCode.INTERNAL;
    };
  }
}
