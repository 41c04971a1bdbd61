package dev.strata.edge.calibrate;

/**
 * One threshold of a cascade and what it gives on the validation set.
 *
 * @param threshold the cascade threshold
 * @param edgeShare the share of inputs the edge answers (0-1)
 * @param accuracy the cascade's accuracy: the edge's answer where it keeps the input, the cloud's
 *     where it escalates
 * @param cloudCalls how many inputs go to the cloud
 */
public record CurvePoint(double threshold, double edgeShare, double accuracy, int cloudCalls) {}
