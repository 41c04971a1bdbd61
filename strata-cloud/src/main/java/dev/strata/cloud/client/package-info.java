/**
 * A Java client of the cloud's management API ({@code /api/v1}): {@link
 * dev.strata.cloud.client.CloudApiClient}.
 */
package dev.strata.cloud.client;
