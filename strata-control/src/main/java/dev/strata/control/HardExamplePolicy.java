package dev.strata.control;

import dev.strata.core.StrataException;

/**
 * Whether edges upload escalated inputs ("hard examples") with the edge's and the cloud's answers,
 * for retraining. Opt-in. The cloud keeps at most {@code maxTotalBytes} of inputs per deployment,
 * dropping the oldest samples to make room.
 *
 * @param enabled whether to collect
 * @param maxTotalBytes the cap on stored inputs for the deployment
 * @param maxSampleBytes the largest single input accepted
 */
public record HardExamplePolicy(boolean enabled, long maxTotalBytes, long maxSampleBytes) {
  public static final HardExamplePolicy DISABLED = new HardExamplePolicy(false, 0, 0);

  public HardExamplePolicy {
    if (enabled && (maxTotalBytes < 1 || maxSampleBytes < 1 || maxSampleBytes > maxTotalBytes)) {
      throw StrataException.invalid(
          "hard examples: maxTotalBytes=%d maxSampleBytes=%d (expected: 1 <= maxSampleBytes <="
              + " maxTotalBytes)",
          maxTotalBytes, maxSampleBytes);
    }
  }

  public static HardExamplePolicy upTo(long maxTotalBytes, long maxSampleBytes) {
    return new HardExamplePolicy(true, maxTotalBytes, maxSampleBytes);
  }
}
