/**
 * The cloud's API ({@code /api/v1}, docs/api.md) on the wire: the records its management and node
 * endpoints read and write (with strata-control's for what cloud and edge exchange: desired state,
 * heartbeats, enrollment), and {@link dev.strata.api.CloudApiClient}, the one Java client of it. No
 * database and no server: the edge agent depends on this module, the cloud implements it.
 */
package dev.strata.api;
