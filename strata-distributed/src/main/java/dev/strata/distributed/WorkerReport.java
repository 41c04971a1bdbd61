package dev.strata.distributed;

import java.io.Serializable;

/**
 * What one barrier task did in the attempt that finished: sent back to the driver.
 *
 * @param steps optimizer steps this attempt ran
 * @param secondsTraining wall time of the training loop
 * @param secondsExchange of which waiting for and combining gradients (and pulling weights)
 * @param bytesSent frames this worker sent
 * @param repeatedSteps steps an earlier attempt had run past the checkpoint this one resumed from
 */
public record WorkerReport(
    int rank,
    int attempt,
    String host,
    long steps,
    double secondsTraining,
    double secondsExchange,
    long bytesSent,
    long repeatedSteps)
    implements Serializable {}
