package dev.strata.serving;

import static java.util.Objects.requireNonNull;

import dev.strata.core.ErrorCode;
import dev.strata.core.StrataException;
import dev.strata.runtime.InferenceService;

/**
 * Where the repository API's model control goes: REST {@code POST
 * /v2/repository/models/{model}/load} and {@code .../unload}, gRPC {@code RepositoryModelLoad} and
 * {@code RepositoryModelUnload}. Both methods block until done and fail with a {@link
 * StrataException} carrying the code the client gets.
 */
public interface ModelControl {

  /** Loads (or reloads) a model; see {@link InferenceService#load(String)}. */
  void load(String model);

  /** Unloads a model; see {@link InferenceService#unload(String)}. */
  void unload(String model);

  /** Loads and unloads on the service itself: the default of a server. */
  static ModelControl of(InferenceService service) {
    requireNonNull(service, "service");
    return new ModelControl() {
      @Override
      public void load(String model) {
        service.load(model);
      }

      @Override
      public void unload(String model) {
        service.unload(model);
      }
    };
  }

  /** Refuses every load and unload with PERMISSION_DENIED (403) and {@code message}. */
  static ModelControl refusing(String message) {
    requireNonNull(message, "message");
    return new ModelControl() {
      @Override
      public void load(String model) {
        throw new StrataException(ErrorCode.PERMISSION_DENIED, message);
      }

      @Override
      public void unload(String model) {
        throw new StrataException(ErrorCode.PERMISSION_DENIED, message);
      }
    };
  }
}
