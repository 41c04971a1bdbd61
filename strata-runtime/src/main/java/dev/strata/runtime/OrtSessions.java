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
import java.util.regex.Pattern;

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

  /**
   * Whether a failed run was caused by the request: a run whose inputs passed validation (names,
   * types, ranks, fixed and shared dimensions) and that fails inside a node with ONNX Runtime's
   * INVALID_ARGUMENT, FAIL or RUNTIME_EXCEPTION failed on the request's values or shapes (an index
   * out of range, shapes that do not broadcast or reshape); a model that loaded and warmed up has
   * no other way to fail there. Allocation failures and everything else are the server's.
   */
  static boolean causedByRequest(OrtException e) {
    String m = String.valueOf(e.getMessage());
    return switch (e.getCode()) {
      case ORT_INVALID_ARGUMENT -> !isAllocation(m);
      case ORT_FAIL, ORT_RUNTIME_EXCEPTION -> m.contains(RUNNING_NODE) && !isAllocation(m);
      default -> false;
    };
  }

  private static final String RUNNING_NODE = "while running ";

  private static boolean isAllocation(String message) {
    return message.contains("allocate") || message.contains("bad_alloc");
  }

  /** A C++ source location ONNX Runtime prefixes its messages with, and the function after it. */
  private static final Pattern SOURCE =
      Pattern.compile(
          "\\S+\\.(?:h|hpp|cc|cpp|c):\\d+ (?:[^()]*\\([^()]*\\)(?: const)? )?(?:.*? was false\\. )?");

  /** The status prefixes of the Java API and of ONNX Runtime itself. */
  private static final Pattern STATUS =
      Pattern.compile(
          "^(?:Error code - \\w+ - message: )?(?:\\[ONNXRuntimeError\\] : \\d+ : \\w+ : )?");

  private static final Pattern NODE =
      Pattern.compile(
          "Non-zero status code returned while running (\\S+) node\\. Name:'([^']*)' Status"
              + " Message: ");

  /**
   * The short form of a run's failure for the client: the failing node and what ONNX Runtime says
   * about it, without its source locations and internals.
   */
  static String shortMessage(OrtException e) {
    String m = String.valueOf(e.getMessage()).strip();
    m = STATUS.matcher(m).replaceFirst("");
    m = NODE.matcher(m).replaceFirst("$1 node '$2': ");
    m = SOURCE.matcher(m).replaceAll("").strip();
    return m.length() > 400 ? m.substring(0, 400) + "..." : m;
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
