/**
 * Federated learning: the edges train on data that never leaves them and send only their updates.
 * {@code aggregate} combines updates (FedAvg, FedProx, FedAvgM, FedAdam, FedYogi, coordinate-wise
 * median, trimmed mean), {@code secagg} lets the server learn only their sum (Bonawitz et al., CCS
 * 2017), {@code privacy} clips and noises them and accounts the privacy spent (client-level DP,
 * Rényi accountant). Those three are plain Java; {@code client} (local training) and {@code sim}
 * (the one-process simulator) need strata-train's DJL and are present only where a node trains.
 */
package dev.strata.federated;
