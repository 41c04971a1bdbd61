package dev.strata.train.training;

import dev.strata.train.spec.TrainingOptions;

/** The learning rate at each step of a run: warm-up, then the declared schedule. */
record LearningRates(TrainingOptions options, int stepsPerEpoch) {

  float at(long step) {
    double base = options.optimizer().learningRate();
    TrainingOptions.Schedule s = options.schedule();
    long warmup = (long) s.warmupEpochs() * stepsPerEpoch;
    if (step < warmup) {
      return (float) (base * (step + 1) / warmup);
    }
    long total = (long) options.epochs() * stepsPerEpoch;
    return (float)
        switch (s) {
          case TrainingOptions.Schedule.Constant c -> base;
          case TrainingOptions.Schedule.StepDecay d ->
              base * Math.pow(d.gamma(), (double) (step / stepsPerEpoch / d.stepEpochs()));
          case TrainingOptions.Schedule.Cosine c -> {
            double span = Math.max(1, total - warmup);
            double t = Math.min(1, (step - warmup) / span);
            yield c.minLearningRate()
                + (base - c.minLearningRate()) * (1 + Math.cos(Math.PI * t)) / 2;
          }
        };
  }
}
