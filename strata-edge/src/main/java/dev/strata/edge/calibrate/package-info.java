/**
 * {@code strata calibrate}: the cascade threshold for an edge and a cloud model from a labelled
 * validation set, with the trade-off curve between edge share and accuracy.
 */
package dev.strata.edge.calibrate;
