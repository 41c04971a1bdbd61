package dev.strata.federated.job;

/** The global model measured on a node's held-out part before it trains (federated evaluation). */
public record Evaluation(double loss, double accuracy, long samples) {
  public static final Evaluation NONE = new Evaluation(Double.NaN, Double.NaN, 0);
}
